"""Reads of the lab: experiments and tutor evaluations, their results for the run pages, memory
versions and diffs."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from agents.math import answers_match
from apps.lab import reports
from apps.lab.memory_store import memory_diff
from apps.lab.models import AtlasSessionRecord, EvaluationRun, Experiment, MemoryVersion
from apps.lab.services import learning_key


def experiments():
    return Experiment.objects.select_related("created_by")


def live_report(experiment: Experiment) -> dict:
    """The stored report once done; meanwhile the same figures over the problems finished so far."""
    return experiment.report or reports.build(experiment)


def memory_versions(key: str) -> list[dict]:
    """Every version of a key's memory, oldest first, each with its diff from the one before."""
    rows = list(MemoryVersion.objects.filter(key=key).order_by("version"))
    previous: dict = {}
    out = []
    for row in rows:
        out.append({"version": row.version, "reason": row.reason, "created_at": row.created_at,
                    "entries": len(row.memory.get("entries", ())), "memory": row.memory,
                    "diff": memory_diff(previous, row.memory)})
        previous = row.memory
    return out


def atlas_page(experiment: Experiment) -> dict:
    """What the ATLAS run page shows: sessions side by side with the baseline, and memory versions."""
    rows = experiment.atlas_sessions.order_by("position", "arm")
    pairs: dict[int, dict] = {}
    for row in rows:
        pairs.setdefault(row.position, {})[row.arm] = row
    return {"pairs": [pairs[p] for p in sorted(pairs)],
            "versions": memory_versions(learning_key(experiment)),
            "key": learning_key(experiment)}


def leap_page(experiment: Experiment) -> dict:
    """Per problem: LeaP's and the baseline's paths, each split into segments with peer blocks marked."""
    problems: dict[int, dict] = {}
    for row in experiment.leap_results.order_by("position", "mode"):
        paths = [_path_view(p, row.gold) for p in row.paths]
        problems.setdefault(row.position, {"position": row.position + 1, "question": row.question,
                                           "gold": row.gold, "prefix": row.prefix})[row.mode] = {
            "row": row, "paths": paths,
            "pass_at_1": sum(p["right"] for p in paths) / len(paths) if paths else 0.0}
    for problem in problems.values():  # LeaP first, then its baseline
        problem["methods"] = [(m, problem[m]) for m in ("leap", "independent") if m in problem]
    return {"problems": [problems[p] for p in sorted(problems)]}


def _path_view(path: dict, gold: str) -> dict:
    answers = path["answers_by_round"]
    changed = []  # rounds after which the path heard peers and then gave another answer
    for block in path["peer_blocks"]:
        before_after = answers[block["round"] - 1: block["round"] + 1]
        if block["peers"] and len(before_after) == 2 and all(before_after) \
                and not answers_match(before_after[1], before_after[0]):
            changed.append(block["round"])
    return {"index": path["index"], "prefixed": path["prefixed"], "tokens": path["tokens"],
            "answer": answers[-1] if answers else None, "answers": answers,
            "right": bool(answers and answers[-1] and answers_match(answers[-1], gold)),
            "segments": [s for s in path["segments"] if s["kind"] != "prompt"],
            "changed_after_peers": changed}


def scored_atlas_sessions(*, recovered_only: bool = False):
    """Stored ATLAS sessions for exports; `recovered_only` keeps failed-then-successful retries (DPO)."""
    rows = AtlasSessionRecord.objects.filter(arm=AtlasSessionRecord.Arm.ATLAS).select_related("run")
    return rows.filter(recovered=True) if recovered_only else rows


def evaluation_runs() -> QuerySet[EvaluationRun]:
    """Every tutor evaluation, newest first, with its count of stored dialogues."""
    return EvaluationRun.objects.annotate(done=Count("dialogues")).order_by("-created_at")


def default_comparison() -> tuple[EvaluationRun | None, EvaluationRun | None]:
    """The latest TutorGraph run and the latest baseline run."""
    runs = evaluation_runs()
    return (runs.filter(tutor="tutorgraph").first(), runs.filter(tutor="baseline").first())


def side_by_side(a: EvaluationRun | None, b: EvaluationRun | None) -> list[dict]:
    """Dialogues of two runs paired by dataset line (a line one run lacks shows empty)."""
    rows: dict[int, dict] = {}
    for key, run in (("a", a), ("b", b)):
        if run is None:
            continue
        for dialogue in run.dialogues.select_related("session"):
            rows.setdefault(dialogue.line, {"line": dialogue.line, "qid": dialogue.qid})
            rows[dialogue.line][key] = dialogue
    return [rows[line] for line in sorted(rows)]


def live_evaluation_report(run: EvaluationRun) -> dict:
    """The finished report, or the same figures over the dialogues stored so far."""
    return run.report or reports.evaluation_report(run)
