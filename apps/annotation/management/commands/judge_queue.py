from django.core.management.base import BaseCommand, CommandError

from apps.annotation import judging, selectors
from apps.annotation.models import AnnotationQueue


class Command(BaseCommand):
    help = ("Run an LLM judge over a queue as an extra annotator (a Celery task on the llm queue), "
            "or inline with --inline, then print its agreement with the other raters.")

    def add_arguments(self, parser):
        parser.add_argument("--queue", type=int, required=True, help="queue id")
        parser.add_argument("--engine", default=None, help="engine name (default: LLM_ENGINE)")
        parser.add_argument("--limit", type=int, default=None, help="judge at most N more items")
        parser.add_argument("--inline", action="store_true", help="run here, not in a worker")
        parser.add_argument("--report-only", action="store_true",
                            help="judge nothing; print the judge's agreement with gold so far")

    def handle(self, queue, engine, limit, inline, report_only, **options):
        if not AnnotationQueue.objects.filter(pk=queue).exists():
            raise CommandError(f"no queue {queue}")
        if report_only:
            return self.report(queue)
        if not inline:
            judging.queue_judge(queue, engine, limit)
            self.stdout.write("queued the judge (its queue is set in CELERY_TASK_ROUTES)")
            return
        done = judging.judge_queue(queue, engine, limit, on_progress=lambda n: self.stderr.write(
            f"\rjudged {n}", ending=""))
        self.stderr.write("")
        self.stdout.write(f"judged {done} items")
        self.report(queue)

    def report(self, queue: int) -> None:
        report = selectors.agreement_report(AnnotationQueue.objects.get(pk=queue))
        judges = [r for r in report["raters"] if r.startswith("llm:")]
        for dim in report["dimensions"]:
            for row in dim["raters"]:
                if row["rater"] in judges and row["gold"]:
                    g = row["gold"]
                    kappa = "n/a" if g["kappa"] is None else f"{g['kappa']:.3f}"
                    self.stdout.write(f"{row['rater']}\t{dim['field'].name}\tn={g['n']}\t"
                                      f"accuracy={g['agreement']:.3f}\tkappa({dim['level']})={kappa}")
