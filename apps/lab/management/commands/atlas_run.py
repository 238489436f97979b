"""ATLAS over N problems with a student-alone baseline on the same problems; a JSON report."""

from apps.lab.forms import AtlasLaunchForm
from apps.lab.management.launching import LaunchCommand


class Command(LaunchCommand):
    help = "Run ATLAS sessions on one learning key and the student alone; report accuracy, tokens, lanes."
    kind = "atlas"
    form_class = AtlasLaunchForm

    def add_arguments(self, parser) -> None:
        self.add_common_arguments(parser)
        parser.add_argument("--student-engine", default="embedded")
        parser.add_argument("--teacher-engine", default="embedded")
        parser.add_argument("--max-attempts", type=int, default=2)
        parser.add_argument("--student-tokens", type=int, default=256)
        parser.add_argument("--teacher-tokens", type=int, default=128)

    def handle(self, *args, **options) -> None:
        names = ("dataset", "limit", "student_engine", "teacher_engine", "max_attempts",
                 "student_tokens", "teacher_tokens")
        self.launch({n: options[n] for n in names}, options)
