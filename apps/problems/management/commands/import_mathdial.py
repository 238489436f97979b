from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.problems.importers import ImportFileError, import_mathdial


class Command(BaseCommand):
    help = ("Import MathDial dialogues (JSONL) as problems with their incorrect student "
            "solutions and personas (idempotent; a bad line imports nothing).")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--limit", type=int, default=None, help="import the first N only")

    def handle(self, *args, path, limit, **options):
        try:
            result = import_mathdial(path, limit=limit)
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"imported {result.created} new dialogues as problems and student solutions "
                          f"({result.existing} already there)")
