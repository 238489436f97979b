from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.problems.importers import ImportFileError, import_gsm8k


class Command(BaseCommand):
    help = "Import GSM8K problems from a JSONL file (idempotent; a bad line imports nothing)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--limit", type=int, default=None, help="import the first N only")
        parser.add_argument("--source", default="gsm8k", help="source label, e.g. gsm8k/test")

    def handle(self, *args, path, limit, source, **options):
        try:
            result = import_gsm8k(path, source=source, limit=limit)
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"imported {result.created} new problems ({result.existing} already there)")
