import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agents.eval.tutor_eval import PROTOCOLS, TUTORS
from agents.llm import ENGINES
from apps.lab import evaluations
from apps.lab.models import EvaluationRun


class Command(BaseCommand):
    help = ("Run a tutor against MathDial's simulated students (one Celery task per dialogue), "
            "store every dialogue as a tutoring session and write success@k / telling@k.")

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, type=Path,
                            help="JSONL file in the format of data/mathdial/dev.jsonl")
        parser.add_argument("--tutor", required=True, choices=TUTORS)
        parser.add_argument("--engine", required=True, choices=ENGINES)
        parser.add_argument("--student-engine", choices=ENGINES, default=None)
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument("--protocol", choices=PROTOCOLS, default="mathdial",
                            help="mathdial: upstream's harness (greeting + 4 pairs, its student "
                                 "at temperature 0 / 512 tokens, a baseline that sees the "
                                 "solution), for figures beside the paper's; tutorgraph: ours "
                                 "(early stop, up to --k-max pairs)")
        parser.add_argument("--k-max", type=int, default=7)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--max-tokens", type=int, default=60, help="per tutor/student turn")
        parser.add_argument("--telling-budget", type=int, default=5,
                            help="first student turn (0-based) a reply to which may tell")
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--inline", action="store_true",
                            help="play the dialogues in this process instead of on workers")
        parser.add_argument("--timeout", type=float, default=24 * 3600,
                            help="seconds to wait for the workers")

    def handle(self, *args, **opts):
        try:
            run = evaluations.start_evaluation(
                dataset=opts["dataset"], tutor=opts["tutor"], engine=opts["engine"],
                student_engine=opts["student_engine"], k_max=opts["k_max"],
                limit=opts["limit"], seed=opts["seed"], max_tokens=opts["max_tokens"],
                telling_budget_turn=opts["telling_budget"], enqueue=not opts["inline"],
                protocol=opts["protocol"])
        except evaluations.EvaluationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"evaluation run {run.pk}: {run.total} dialogues")
        if opts["inline"]:
            for line in run.params["lines"]:
                evaluations.run_evaluation_dialogue(run.pk, line)
                self.stdout.write(f"  {run.dialogues.count()}/{run.total}")
        run = self._wait(run, opts["timeout"])
        if run.report is None:  # failed before any report, e.g. its tasks could not be queued
            raise CommandError(f"evaluation run {run.pk} failed: {run.error}")
        opts["out"].write_text(json.dumps(run.report, indent=2))
        report = run.report
        self.stdout.write(f"{run.tutor} ({opts['protocol']}): n={report['n']} "
                          f"success@k={report['success_at_k']} "
                          f"telling@k={report['telling_at_k']} → {opts['out']}")
        if run.status == EvaluationRun.Status.FAILED:
            raise CommandError(f"evaluation run {run.pk} failed: {run.error}")

    def _wait(self, run: EvaluationRun, timeout: float) -> EvaluationRun:
        deadline, last = time.monotonic() + timeout, -1
        while True:
            run = evaluations.finish_if_complete(run.pk)
            if run.finished:
                return run
            done = run.dialogues.count()
            if done != last:
                self.stdout.write(f"  {done}/{run.total}")
                last = done
            if time.monotonic() > deadline:
                raise CommandError(f"evaluation run {run.pk}: {done}/{run.total} dialogues "
                                   f"after {timeout:.0f} s; the workers keep going")
            time.sleep(1)
