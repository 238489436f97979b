from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.annotation.mrbench import import_mrbench


class Command(BaseCommand):
    help = "Import MRBench V1 as an annotation queue whose gold labels are MRBench's annotations."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="MRBench_V1.json")
        parser.add_argument("--queue-name", default="MRBench V1")
        parser.add_argument("--limit", type=int, default=None, help="import only the first N responses")

    def handle(self, path, queue_name, limit, **options):
        try:
            queue = import_mrbench(path, queue_name=queue_name, limit=limit)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(f"queue {queue.pk} ({queue.name}): {queue.items.count()} items with gold labels")
