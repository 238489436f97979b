"""manage.py export_dataset --format F [--file-type parquet] [--filter key=value ...] --out DIR"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.datastructures import MultiValueDict

from apps.accounts.models import User
from apps.exports import services
from apps.exports.forms import FILTER_FIELDS, ExportForm
from apps.exports.models import Export

ALIASES = {"source": "sources"}


class Command(BaseCommand):
    help = ("Export reviewed traces as a training set (runs here, not on a worker). Filters: "
            + ", ".join(FILTER_FIELDS) + "; give several sources as source=a,b.")

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, help="sft, dpo, kto, prm, openai_chat, "
                                                             "openai_preference")
        parser.add_argument("--file-type", default="jsonl",
                            help="jsonl (default) or parquet; openai_* formats are JSONL only")
        parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--out", required=True, type=Path,
                            help="directory to create (must not exist or be empty)")
        parser.add_argument("--user", help="admin username to record in the audit log")

    def handle(self, *args, **opts):
        data = MultiValueDict({"format": [opts["format"]], "file_type": [opts["file_type"]]})
        for item in opts["filter"]:
            key, sep, value = item.partition("=")
            key = ALIASES.get(key.strip(), key.strip())
            if not sep or key not in FILTER_FIELDS:
                raise CommandError(f"--filter {item!r}: expected KEY=VALUE with KEY one of "
                                   f"{', '.join(FILTER_FIELDS)}")
            values = value.split(",") if key == "sources" else [value]
            data.setlist(key, [v.strip() for v in values])
        form = ExportForm(data)
        if not form.is_valid():
            problems = [f"{'' if field == '__all__' else field + ': '}{' '.join(errors)}"
                        for field, errors in form.errors.items()]
            raise CommandError("; ".join(problems))
        out: Path = opts["out"].resolve()
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"{out} already exists and is not an empty directory")
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
            if user is None or not user.is_admin:
                raise CommandError(f"{opts['user']!r} is not an admin")
        export = services.request_export(user, format_name=form.cleaned_data["format"],
                                         file_type=form.cleaned_data["file_type"],
                                         filters=form.export_filters(), directory=out, enqueue=False)
        export = services.run_export(export.pk)
        if export.status != Export.Status.DONE:
            raise CommandError(f"export {export.pk} failed: {export.error}")
        counts = export.counts
        self.stdout.write(f"export {export.pk}: {counts['train']} train, {counts['validation']} "
                          f"validation, {counts['excluded_opted_out']} left out (opted out), "
                          f"{counts.get('unusable', 0)} dropped → {out}")
        for reason, n in counts.get("dropped", {}).items():
            self.stdout.write(f"  dropped {n}: {reason}")
        for warning in export.manifest.get("warnings", []):
            self.stderr.write(f"warning: {warning}")
