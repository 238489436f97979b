"""The capability probe as upstream runs it: an LLM reads the key's history and picks the lane.

Port of atlas-sdk `runtime/adaptive/probe.py` and the orchestrator's `_determine_adaptive_mode`
(123ab40): a forced lane wins; no history -> ``paired`` without a call; otherwise one
schema-constrained call returns ``{mode, confidence}``; an invalid mode maps from the
confidence (>= 0.85 auto, >= 0.65 paired, else coach); no usable mode or confidence, or an
engine error, falls back to ``paired``. The rule set in `lanes.py` stays as the ``rules`` probe.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Literal

from pydantic import BaseModel, Field

from agents.atlas.lanes import LANES, Lane, LaneThresholds, choose_lane, streak
from agents.llm.structured import chat_json, parse_json_object
from agents.llm.types import LLM, LLMCall, LLMError

Probe = Literal["llm", "rules"]
PROBES: tuple[Probe, ...] = ("llm", "rules")
HIGH, LOW, NOTE_CHARS = 0.8, 0.4, 1024
DEFAULT_THRESHOLDS = LaneThresholds()

SYSTEM_PROMPT = """Role: Adaptive execution router.

Decide which runtime mode should execute the next request based on the task description and
accumulated learning history and reward scores.

Candidate modes:
- Use `auto` when the learning history shows high scores on similar tasks and no recent regressions.
- auto: student runs unattended (fast lane).
- Use `paired` when the student has helpful learning but low reward score, so still needs a teacher
  review to confirm the final answer.
- paired: student runs once with teacher inspecting final answer.
- Use `coach` when the task is partially familiar but low reward score, so needs plan validation and
  targeted guidance.
- coach: teacher reviews the plan and check the final answer.

Requirements:
1. Review the learning history (reward scores, student/teacher learnings) to judge how confident we
should be.
2. Consider how similar tasks were handled previously when choosing a mode.
3. Return a single JSON object with this exact schema:
   {"mode": "auto" | "paired" | "coach", "confidence": float | null}
4. Confidence must be between 0 and 1 when provided."""


class ProbeReply(BaseModel):
    """The probe's reply; the schema constrains decoding, the fallbacks handle the rest."""

    mode: Literal["auto", "paired", "coach"]
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


@dataclass(frozen=True)
class HistoryRecord:
    """One earlier session of a key as the probe reads it."""

    score: float
    rationale: str = ""
    lane: str = ""
    student_learning: str = ""
    teacher_learning: str = ""


@dataclass(frozen=True)
class ProbeDecision:
    """The lane, the confidence the probe gave (if any), why, and the call it made (if any)."""

    lane: Lane
    reason: str
    source: str
    confidence: float | None = None
    call: LLMCall | None = None


def learning_history(records: Sequence[HistoryRecord], limit: int = 10) -> dict:
    """Upstream's `aggregate_learning_history`: the last `limit` entries, averages and streaks."""
    if not records:
        return {"entries": [], "count": 0, "total_count": 0}
    recent = list(records)[-limit:]
    scores = [r.score for r in recent]
    return {
        "entries": [{"reward": {"score": r.score, "rationale": r.rationale[:NOTE_CHARS]},
                     "lane": r.lane, "student_learning": r.student_learning[:NOTE_CHARS],
                     "teacher_learning": r.teacher_learning[:NOTE_CHARS]} for r in recent],
        "count": len(recent), "total_count": len(records), "scores": scores,
        "average_score": fmean(scores),
        "recent_high_score_streak": streak(scores, lambda s: s >= HIGH),
        "recent_low_score_streak": streak(scores, lambda s: s <= LOW),
        "overall_average_score": fmean(r.score for r in records), "limit": limit,
    }


def confidence_lane(confidence: float | None,
                    thresholds: LaneThresholds = DEFAULT_THRESHOLDS) -> Lane | None:
    """Upstream's `_map_confidence_to_mode`: >= auto -> auto, >= paired -> paired, else coach."""
    if confidence is None:
        return None
    if confidence >= thresholds.auto:
        return "auto"
    return "paired" if confidence >= thresholds.paired else "coach"


def llm_probe(llm: LLM, task: str, records: Sequence[HistoryRecord], *,
              thresholds: LaneThresholds = DEFAULT_THRESHOLDS, forced: Lane | None = None,
              max_tokens: int = 48, temperature: float = 0.2) -> ProbeDecision:
    """Pick a lane with one schema-constrained LLM call, with upstream's fallbacks."""
    if forced is not None:
        return ProbeDecision(_check_forced(forced), f"forced to {forced}", "forced", 1.0)
    if not records:
        return ProbeDecision("paired", "no history", "no_learning_history")
    payload = {"task": task, "learning_history": learning_history(records, thresholds.window)}
    messages = [{"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": json.dumps(payload, ensure_ascii=False)}]
    try:
        reply = chat_json(llm, messages, ProbeReply, max_tokens=max_tokens, temperature=temperature)
    except LLMError as exc:
        return ProbeDecision("paired", f"probe failed ({exc}); fallback paired", "probe_error")
    if reply.value is not None:
        return ProbeDecision(reply.value.mode, f"mode {reply.value.mode}", "capability_probe",
                             reply.value.confidence, reply.call)
    raw = parse_json_object(reply.call.completion) or {}
    confidence = raw.get("confidence")
    confidence = (float(confidence) if isinstance(confidence, int | float)
                  and not isinstance(confidence, bool) else None)
    lane = confidence_lane(confidence, thresholds)
    if lane is not None:
        return ProbeDecision(lane, f"invalid mode {raw.get('mode')!r}; confidence "
                             f"{confidence:.2f} -> {lane}", "capability_probe", confidence, reply.call)
    return ProbeDecision("paired", f"unusable probe reply ({reply.error}); fallback paired",
                         "probe_fallback", None, reply.call)


def rules_probe(records: Sequence[HistoryRecord], *,
                thresholds: LaneThresholds = DEFAULT_THRESHOLDS, forced: Lane | None = None) -> ProbeDecision:
    """The deterministic rule set of `lanes.choose_lane` as a named alternative."""
    lane, reason = choose_lane([r.score for r in records], thresholds, forced)
    return ProbeDecision(lane, reason, "forced" if forced else "rules")


def _check_forced(forced: str) -> Lane:
    if forced not in LANES:
        raise ValueError(f"unknown lane {forced!r}; choose one of {', '.join(LANES)}")
    return forced  # type: ignore[return-value]
