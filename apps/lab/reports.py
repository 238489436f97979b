"""The report of a finished experiment or tutor evaluation, built from its stored rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

from agents.atlas.session import usage_cost
from agents.eval import leap_metrics
from agents.eval.tutor_eval import build_report
from agents.graphs.leap import LeapConfig, LeapPath, LeapResult, PeerBlock, Segment
from apps.lab.models import AtlasSessionRecord, EvaluationRun, Experiment, LeapProblemResult

ATLAS_WINDOW = 10


def build(experiment: Experiment) -> dict:
    """The report of an ATLAS or LeaP experiment."""
    if experiment.kind == Experiment.Kind.ATLAS:
        return atlas_report(experiment)
    return leap_report(experiment)


ARMS = ("atlas", "oracle", "self_retry", "baseline")


def atlas_report(experiment: Experiment, window: int = ATLAS_WINDOW) -> dict:
    """Accuracy, tokens, calls and cost per role of every arm; lanes per window; the probes side
    by side; teacher tokens by third; help that turned a right first attempt wrong."""
    rows = list(experiment.atlas_sessions.order_by("position"))
    by_arm = {arm: [r for r in rows if r.arm == arm] for arm in ARMS}
    atlas = by_arm["atlas"]
    prices = {role: tuple(p) for role, p in (experiment.params.get("prices") or {}).items()}
    arms = {arm: {"n": len(mine), "accuracy": _mean([r.correct for r in mine]),
                  "tokens": _sum_tokens(mine), "calls": _sum_usage(mine, "calls"),
                  "cost_usd": usage_cost(_usage(mine), prices)}
            for arm, mine in by_arm.items() if mine}
    for a in arms.values():
        a["cost_total_usd"] = round(sum(a["cost_usd"].values()), 6)
    thirds = _thirds(atlas)
    return {
        "kind": "atlas", "params": experiment.params, "n": len(atlas),
        "accuracy": {arm: a["accuracy"] for arm, a in arms.items()},
        "tokens": {arm: a["tokens"] for arm, a in arms.items()},
        "arms": arms,
        "lanes": dict(Counter(r.lane for r in atlas)),
        "lane_windows": lane_windows(atlas, window),
        "probes": probe_agreement(atlas),
        "teacher_tokens_by_third": [sum(r.tokens.get("teacher", 0) for r in part) for part in thirds],
        "recovered": sum(r.recovered for r in atlas),
        "degraded": {arm: sum(_degraded(r) for r in mine) for arm, mine in by_arm.items() if mine},
    }


def probe_agreement(sessions: list[AtlasSessionRecord]) -> dict:
    """How often the configured probe and the other one chose the same lane on the same history."""
    pairs = [(r.lane, r.probe_alt.split(":", 1)[0]) for r in sessions if r.probe_alt]
    return {"chosen": sessions[0].probe_reason.split(" probe:", 1)[0] if sessions else "",
            "compared": len(pairs), "agree": sum(a == b for a, b in pairs),
            "other_lanes": dict(Counter(b for _, b in pairs))}


def _degraded(row: AtlasSessionRecord) -> bool:
    """Right before the help, wrong after it (the checker's reading, after the session)."""
    checked = [a.get("checked") for a in row.attempts]
    return len(checked) > 1 and checked[0] is True and checked[-1] is False


def _usage(rows: list[AtlasSessionRecord]) -> dict[str, dict]:
    total: dict[str, Counter] = {}
    for row in rows:
        for role, u in (row.usage or {}).items():
            total.setdefault(role, Counter()).update(u)
    return {role: dict(c) for role, c in total.items()}


def _sum_usage(rows: list[AtlasSessionRecord], field: str) -> dict[str, int]:
    return {role: u.get(field, 0) for role, u in _usage(rows).items()}


def lane_windows(sessions: list[AtlasSessionRecord], window: int = ATLAS_WINDOW) -> list[dict]:
    """Lane counts per consecutive window of sessions: the lane mix over time."""
    return [{"from": start + 1, "to": min(start + window, len(sessions)),
             **{lane: sum(r.lane == lane for r in sessions[start:start + window])
                for lane in ("auto", "paired", "coach")}}
            for start in range(0, len(sessions), window)]


def leap_report(experiment: Experiment) -> dict:
    """Pass@1 per path and the vote's accuracy, tokens, prefix-trap recovery and answer changes
    of LeaP and independent sampling, with the budget the engine's context allowed."""
    rows = list(experiment.leap_results.order_by("position"))
    report: dict = {"kind": "leap", "params": experiment.params, "n": 0, "methods": {},
                    "budget": experiment.params.get("budget", ""),
                    "sampling": dict(LeapConfig().sampling)}
    for mode in (LeapProblemResult.Mode.LEAP, LeapProblemResult.Mode.INDEPENDENT):
        mine = [r for r in rows if r.mode == mode]
        results, golds = [leap_result(r) for r in mine], [r.gold for r in mine]
        report["n"] = len(mine)
        report["methods"][mode] = {
            "pass_at_1": leap_metrics.pass_at_1(results, golds),
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


def evaluation_report(run: EvaluationRun) -> dict:
    """A tutor evaluation's success@k / telling@k from its stored dialogues (failed dialogues
    are listed, not scored)."""
    stored = list(run.dialogues.all())
    scored = [d.result for d in stored if not d.error]
    report = build_report(scored, tutor=run.tutor, engine=run.engine, model=run.model,
                          k_max=run.params["k_max"], seed=run.params["seed"],
                          params={**run.params, "dataset": run.dataset,
                                  "student_engine": run.student_engine, "run_id": run.pk})
    report["failed"] = [{"line": d.line, "error": d.error} for d in stored if d.error]
    return report
