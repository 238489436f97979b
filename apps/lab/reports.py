"""The report of a finished experiment, built from its stored rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

from agents.eval import leap_metrics
from agents.graphs.leap import LeapPath, LeapResult, PeerBlock, Segment
from apps.lab.models import AtlasSessionRecord, Experiment, LeapProblemResult

ATLAS_WINDOW = 10


def build(experiment: Experiment) -> dict:
    """The report of an ATLAS or LeaP experiment."""
    if experiment.kind == Experiment.Kind.ATLAS:
        return atlas_report(experiment)
    return leap_report(experiment)


def atlas_report(experiment: Experiment, window: int = ATLAS_WINDOW) -> dict:
    """Accuracy of ATLAS and the baseline, tokens per role, lanes per window, teacher tokens by third."""
    rows = list(experiment.atlas_sessions.order_by("position"))
    atlas = [r for r in rows if r.arm == AtlasSessionRecord.Arm.ATLAS]
    baseline = [r for r in rows if r.arm == AtlasSessionRecord.Arm.BASELINE]
    thirds = _thirds(atlas)
    return {
        "kind": "atlas", "params": experiment.params, "n": len(atlas),
        "accuracy": {"atlas": _mean([r.correct for r in atlas]),
                     "baseline": _mean([r.correct for r in baseline])},
        "tokens": {"atlas": _sum_tokens(atlas), "baseline": _sum_tokens(baseline)},
        "lanes": dict(Counter(r.lane for r in atlas)),
        "lane_windows": lane_windows(atlas, window),
        "teacher_tokens_by_third": [sum(r.tokens.get("teacher", 0) for r in part) for part in thirds],
        "recovered": sum(r.recovered for r in atlas),
    }


def lane_windows(sessions: list[AtlasSessionRecord], window: int = ATLAS_WINDOW) -> list[dict]:
    """Lane counts per consecutive window of sessions: the lane mix over time."""
    return [{"from": start + 1, "to": min(start + window, len(sessions)),
             **{lane: sum(r.lane == lane for r in sessions[start:start + window])
                for lane in ("auto", "paired", "coach")}}
            for start in range(0, len(sessions), window)]


def leap_report(experiment: Experiment) -> dict:
    """Accuracy, tokens, prefix-trap recovery and answer changes of LeaP and independent sampling."""
    rows = list(experiment.leap_results.order_by("position"))
    report: dict = {"kind": "leap", "params": experiment.params, "n": 0, "methods": {}}
    for mode in (LeapProblemResult.Mode.LEAP, LeapProblemResult.Mode.INDEPENDENT):
        mine = [r for r in rows if r.mode == mode]
        results, golds = [leap_result(r) for r in mine], [r.gold for r in mine]
        report["n"] = len(mine)
        report["methods"][mode] = {
            "accuracy": leap_metrics.accuracy(results, golds),
            "total_tokens": leap_metrics.total_tokens(results),
            "recovery_rate_paths": leap_metrics.recovery_rate(results, golds, per="path"),
            "recovery_rate_problems": leap_metrics.recovery_rate(results, golds, per="problem"),
            "answer_changes": asdict(leap_metrics.answer_changes(results, golds)),
        }
    return report


def leap_result(row: LeapProblemResult) -> LeapResult:
    """Rebuild the agent's `LeapResult` from a stored row, for the metrics and the page."""
    paths = tuple(LeapPath(index=p["index"], segments=tuple(Segment(**s) for s in p["segments"]),
                           prefixed=p["prefixed"], finished=p["finished"],
                           answers_by_round=tuple(p["answers_by_round"]),
                           peer_blocks=tuple(PeerBlock(**{**b, "peers": tuple(b["peers"])})
                                             for b in p["peer_blocks"]),
                           tokens=p["tokens"])
                  for p in row.paths)
    return LeapResult(problem=row.question, mode=row.mode, answer=row.answer or None, paths=paths,
                      rounds=row.rounds)


def _thirds(rows: list) -> list[list]:
    n = len(rows)
    return [rows[: n // 3], rows[n // 3: n - n // 3], rows[n - n // 3:]]


def _mean(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def _sum_tokens(rows: list[AtlasSessionRecord]) -> dict[str, int]:
    total: Counter = Counter()
    for row in rows:
        total.update(row.tokens)
    return dict(total)
