"""What `atlas_run` and `leap_eval` share: validate options, run inline or on a worker, write the report."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.lab import services
from apps.lab.models import Experiment


class LaunchCommand(BaseCommand):
    kind: str
    form_class: type

    def add_common_arguments(self, parser) -> None:
        parser.add_argument("--dataset", required=True, help="GSM8K or MathDial JSONL file")
        parser.add_argument("--limit", type=int, default=10, help="number of problems N")
        parser.add_argument("--out", required=True, help="where to write the JSON report")
        parser.add_argument("--inline", action="store_true",
                            help="run in this process instead of on a Celery worker")

    def launch(self, data: dict, options: dict) -> None:
        form = self.form_class(data=data, free_path=True)
        if not form.is_valid():
            errors = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in form.errors.items())
            raise CommandError(errors)
        with transaction.atomic():
            experiment = services.create_experiment(self.kind, form.params())
            if not options["inline"]:
                services.launch(experiment)
        self.stderr.write(f"{experiment}: {experiment.total} problems")
        if options["inline"]:
            experiment = services.run_inline(experiment, on_progress=self._progress)
        else:
            experiment = self._wait(experiment)
        if experiment.status == Experiment.Status.FAILED:
            raise CommandError(f"{experiment} failed: {experiment.error}")
        Path(options["out"]).write_text(json.dumps(experiment.report, indent=2) + "\n")
        self.stdout.write(json.dumps(experiment.report, indent=2))

    def _progress(self, experiment: Experiment) -> None:
        self.stderr.write(f"  {experiment.done}/{experiment.total}")

    def _wait(self, experiment: Experiment) -> Experiment:
        done = -1
        while not experiment.finished:
            time.sleep(2)
            experiment.refresh_from_db()
            if experiment.done != done:
                done = experiment.done
                self._progress(experiment)
        return experiment
