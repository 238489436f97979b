import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agents.eval.guard_eval import MRBenchError, evaluate, load_mrbench
from agents.graphs.guard import DEFAULT_VARIANT, VARIANTS


class Command(BaseCommand):
    help = ("Run the telling guard on every tutor response of an MRBench file and compare its "
            "call with the human label Revealing_of_the_Answer (precision / recall / F1).")

    def add_arguments(self, parser):
        parser.add_argument("--mrbench", required=True, type=Path, help="MRBench_V1.json")
        parser.add_argument("--out", required=True, type=Path,
                            help="JSON file: {responses: [{conversation_id, tutor, reveals}], "
                                 "metrics}")
        parser.add_argument("--variant", choices=list(VARIANTS), default=DEFAULT_VARIANT,
                            help="v1: the first guard; v2 (default); v2-protect-stated and "
                                 "v2-final-in-problem-free: the two choices measured the other way")

    def handle(self, *args, **opts):
        try:
            result = evaluate(load_mrbench(opts["mrbench"]), variant=opts["variant"])
        except MRBenchError as exc:
            raise CommandError(str(exc)) from exc
        opts["out"].write_text(json.dumps(result, indent=2))
        for name, m in result["metrics"].items():
            self.stdout.write(f"{name}: P={m['precision']:.3f} R={m['recall']:.3f} "
                              f"F1={m['f1']:.3f} (tp {m['tp']}, fp {m['fp']}, fn {m['fn']}, "
                              f"n {m['n']})")
        self.stdout.write(f"{len(result['responses'])} responses → {opts['out']}")
