from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.problems.importers import (
    ImportFileError,
    import_cogtutor_categories,
    import_mathdial_confusions,
    import_misconception_jsonl,
)

FORMATS = {"cogtutorbugs": import_cogtutor_categories, "mathdial": import_mathdial_confusions,
           "jsonl": import_misconception_jsonl}


class Command(BaseCommand):
    help = ("Import misconception catalogue entries (a bad entry imports nothing; entries with a "
            "known key are updated).")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--format", choices=sorted(FORMATS), default="cogtutorbugs",
            help="cogtutorbugs: its categories.json; mathdial: dev.jsonl, whose teacher-described "
                 "confusions are clustered; jsonl: one entry a line with key, name, description, "
                 "source, licence and optionally skill, example_wrong_work")
        parser.add_argument("--clusters", type=int, default=12, help="mathdial only: entries to make")

    def handle(self, *args, path, format, clusters, **options):
        extra = {"clusters": clusters} if format == "mathdial" else {}
        try:
            result = FORMATS[format](Path(path), **extra)
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"imported {result.created} new misconceptions ({result.existing} updated)")
