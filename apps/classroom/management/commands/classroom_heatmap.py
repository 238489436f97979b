from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Classroom
from apps.classroom.forms import PeriodForm
from apps.classroom.selectors import misconception_heatmap


class Command(BaseCommand):
    help = ("Print a class's misconception × student heatmap from stored detections: the count of "
            "each student's turns whose top detection is that misconception.")

    def add_arguments(self, parser):
        parser.add_argument("classroom_id", type=int)
        parser.add_argument("--since", help="first day, YYYY-MM-DD")
        parser.add_argument("--until", help="last day, YYYY-MM-DD")

    def handle(self, *args, classroom_id: int, since=None, until=None, **options):
        classroom = Classroom.objects.filter(pk=classroom_id).first()
        if classroom is None:
            raise CommandError(f"No classroom with id {classroom_id}.")
        period = PeriodForm({"since": since or "", "until": until or ""})
        if not period.is_valid():
            raise CommandError(" ".join(e for errors in period.errors.values() for e in errors))
        heatmap = misconception_heatmap(classroom, *period.bounds())
        students = [s.username for s in heatmap.students]
        width = max([len("misconception"), *(len(key) for key, _ in heatmap.misconceptions)])
        self.stdout.write(f"{'misconception':<{width}}  " + "  ".join(students) + "  total")
        for key, _name, cells in heatmap.rows():
            counts = [n for _, n, _ in cells]
            self.stdout.write(f"{key:<{width}}  " + "  ".join(
                f"{n:>{len(s)}}" for n, s in zip(counts, students, strict=True))
                + f"  {sum(counts):>5}")
