import json
import re
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agents.embeddings import EmbeddingModelMissing, default_embedder
from agents.eval.misconception_eval import (
    COGTUTOR_KEY_PREFIX,
    DatasetError,
    read_cogtutor_bugs,
    scores,
    select_items,
)
from agents.graphs.misconception import METHODS, CatalogueIndex, GraphMisconceptionDetector
from apps.engines import get_llm
from apps.problems.selectors import catalogue_entries

EXAMPLE_EQUATION = re.compile(r"^Equation: (.+)$", re.MULTILINE)


class Command(BaseCommand):
    help = ("Measure misconception detection on CogTutorBugs (bugs.json): top-1 / top-3 accuracy "
            "and MAP@3 of --method, with the other two methods as baselines on the same items.")

    def add_arguments(self, parser):
        parser.add_argument("--dataset", type=Path, required=True, help="CogTutorBugs bugs.json")
        parser.add_argument("--method", choices=METHODS, default="full")
        parser.add_argument("--limit", type=int, default=100, help="items to evaluate")
        parser.add_argument("--out", type=Path, required=True, help="where to write the JSON report")
        parser.add_argument("--split", choices=("test", "dev"), default="test",
                            help="held-out split by starting equation (1 in 5 equations is test)")
        parser.add_argument("--k", type=int, default=5, help="entries retrieved for the rerank")
        parser.add_argument("--no-baselines", action="store_true", help="run --method alone")

    def handle(self, *args, dataset, method, limit, out, split, k, no_baselines, **options):
        dataset, out = Path(dataset), Path(out)
        if limit < 1 or k < 1:
            raise CommandError("--limit and --k must be at least 1")
        entries = catalogue_entries(COGTUTOR_KEY_PREFIX)
        if not entries:
            raise CommandError("no CogTutorBugs entries in the catalogue: run `manage.py "
                               "import_misconceptions data/cogtutorbugs/categories.json`")
        try:
            items = read_cogtutor_bugs(dataset)
            index = CatalogueIndex(entries, default_embedder())
        except (DatasetError, EmbeddingModelMissing) as exc:
            raise CommandError(f"{dataset}: {exc}") from exc
        shown = {m.group(1).strip() for e in entries for m in EXAMPLE_EQUATION.finditer(e.example)}
        items = select_items(items, split, exclude_groups=shown, limit=limit)
        methods = [method] if no_baselines else [method, *(m for m in METHODS if m != method)]
        report = {"dataset": str(dataset), "split": split, "items": len(items), "k": k,
                  "catalogue": len(entries), "primary": method, "methods": {}, "predictions": []}
        rankings: dict[str, list[list[str]]] = {}
        llm = get_llm()
        for name in methods:
            detector = GraphMisconceptionDetector(index, None if name == "retrieval" else llm,
                                                  method=name, k=k)
            started, rankings[name] = time.perf_counter(), []
            for n, item in enumerate(items, start=1):
                detections = detector.detect(item.problem, item.gold_solution, item.student_work)
                rankings[name].append([d.key for d in detections])
                if n % 10 == 0:
                    self.stderr.write(f"{name}: {n}/{len(items)}")
            elapsed = time.perf_counter() - started
            report["methods"][name] = {
                **scores([(i.label, r) for i, r in zip(items, rankings[name], strict=True)]),
                "seconds_per_item": round(elapsed / max(len(items), 1), 3),
                "engine": "none" if name == "retrieval" else f"{llm.engine}/{llm.model}"}
            figures = report["methods"][name]
            self.stdout.write(f"{name:9s} top1={figures['top1']:.3f} top3={figures['top3']:.3f} "
                              f"map3={figures['map3']:.3f} none={figures['none_rate']:.3f} "
                              f"({figures['seconds_per_item']}s/item, n={figures['n']})")
            self._write(out, report, items, rankings)  # so a long run's finished methods are kept
        self.stdout.write(f"report written to {out}")

    def _write(self, out, report, items, rankings):
        report["predictions"] = [
            {"label": item.label, "work": item.student_work,
             **{name: ranking[i][:3] for name, ranking in rankings.items()}}
            for i, item in enumerate(items)]
        out.write_text(json.dumps(report, indent=2))
