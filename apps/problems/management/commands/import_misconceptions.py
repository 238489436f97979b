from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.problems.importers import ImportError_, import_cogtutor_categories, import_misconception_jsonl

FORMATS = {"cogtutorbugs": import_cogtutor_categories, "jsonl": import_misconception_jsonl}


class Command(BaseCommand):
    help = ("Import misconception catalogue entries (a bad entry imports nothing; entries with a "
            "known key are updated).")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=sorted(FORMATS), default="cogtutorbugs",
                            help="cogtutorbugs: its categories.json; jsonl: one entry a line with "
                                 "key, name, description, source, licence[, skill, example_wrong_work]")

    def handle(self, *args, path, format, **options):
        try:
            result = FORMATS[format](path)
        except ImportError_ as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"imported {result.created} new misconceptions ({result.existing} updated)")
