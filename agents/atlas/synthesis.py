"""Rewrite a key's memory after a session (LLM, temperature 0.1), then gate the rewrite.

Blocking failures reject the whole update: a leaked gold answer, a cap exceeded, an invalid
cue, an empty action, or a contradicted helpful entry. Generality failures (ids, dates, paths,
e-mails, personal names) only make the entry concerned `provisional`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from pydantic import BaseModel, Field

from agents.atlas.memory import Cue, LearningMemory, Pamphlet, PlaybookEntry
from agents.atlas.playbook import shares_most_words
from agents.llm.structured import chat_json
from agents.llm.types import LLM, LLMError
from agents.math import numbers_in

MAX_PAMPHLET_WORDS = 600
MAX_PATTERN, MAX_ACTION, MAX_EFFECT = 150, 120, 200

SYNTHESIS_PROMPT = f"""You keep the learning memory of one learner on one skill.
Rewrite it after the session below: keep what helped, fix what did not, stay general.
Never write this problem's numbers or answer, and no names, ids, dates or paths.
Reply with JSON only:
{{"student_pamphlet": "<schema, guards and checks for the student; under {MAX_PAMPHLET_WORDS} words>",
 "teacher_pamphlet": "<principles, failure modes, stop conditions for the teacher>",
 "entries": [{{"id": "<id of an entry you keep or revise; omit for a new one>",
   "cue": {{"kind": "regex or keyword", "pattern": "<= {MAX_PATTERN} chars"}},
   "action": "<imperative, <= {MAX_ACTION} chars>", "expected_effect": "<= {MAX_EFFECT} chars",
   "scope": "reinforcement or differentiation"}}]}}
Entries you leave out are retired."""

# Upstream's PlaybookEntryRubricWeights and gate defaults (atlas-sdk config/models.py, 123ab40).
RUBRIC_WEIGHTS = {"actionability": 0.4, "generality": 0.3, "hookability": 0.2, "concision": 0.1}
HOOKABILITY = {"regex": 1.0, "predicate": 0.6, "keyword": 0.4}
CONCISE_CHARS = 420


def _limit(chars: int):
    """A length bound for constrained decoding only: the gate, not validation, enforces caps."""
    return Field(json_schema_extra={"maxLength": chars})


class _CueReply(BaseModel):
    kind: str = Field(json_schema_extra={"enum": ["regex", "keyword"]})
    pattern: str = _limit(MAX_PATTERN)


class _EntryReply(BaseModel):
    id: str | None = None
    cue: _CueReply
    action: str = _limit(MAX_ACTION)
    expected_effect: str = Field("", json_schema_extra={"maxLength": MAX_EFFECT})
    scope: str = Field("reinforcement",
                       json_schema_extra={"enum": ["reinforcement", "differentiation"]})


class MemoryRewrite(BaseModel):
    """The memory writer's reply, schema-constrained so a small engine returns usable JSON.

    The schema asks for every field; validation lets one be left out (the old text is kept),
    and caps are the gate's to enforce, with its own messages.
    """

    student_pamphlet: str | None = Field(None, json_schema_extra={"maxLength": 1500})
    teacher_pamphlet: str | None = Field(None, json_schema_extra={"maxLength": 1500})
    entries: list[_EntryReply] | None = Field(None, json_schema_extra={"maxItems": 5})

    @classmethod
    def model_json_schema(cls, *args, **kwargs) -> dict:
        schema = super().model_json_schema(*args, **kwargs)
        schema["required"] = ["student_pamphlet", "teacher_pamphlet", "entries"]
        return schema


NEGATIONS = re.compile(r"\b(?:not|never|no longer|don't|do not|avoid|skip|stop|without)\b", re.I)
GENERALITY = {
    "an e-mail": re.compile(r"[\w.+-]+@[\w-]+\.\w[\w.]*"),
    "a date": re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:January|"
                         r"February|March|April|May|June|July|August|September|October|"
                         r"November|December)\s+\d{1,4}\b"),
    "a path": re.compile(r"[A-Za-z]:\\|(?<![\w/])(?:~|\.{1,2})?/[\w.-]+/"),
    "an id": re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-|#\d+|\b(?:id|ID)\s*:?\s*\d+|"
                        r"\b[A-Z]{2,}[-_]?\d{2,}\b|\b\d{6,}\b"),
    "a personal name": re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+[A-Z][a-z]+|"
                                  r"\b(?:named|called)\s+[A-Z][a-z]+"),
}


@dataclass(frozen=True)
class MemoryUpdate:
    """A proposed rewrite, or None with the reason no rewrite could be read."""

    proposed: LearningMemory | None
    reason: str
    reply: str = ""


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict; `memory` is what to keep (the gated rewrite, or the old memory)."""

    accepted: bool
    memory: LearningMemory
    failures: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        """One line for the app: accepted (with provisional notes) or rejected with reasons."""
        if not self.accepted:
            return "rejected: " + "; ".join(self.failures)
        return "accepted" + (" (provisional: " + "; ".join(self.warnings) + ")"
                             if self.warnings else "")


def propose_update(llm: LLM, memory: LearningMemory, session_summary: str,
                   *, max_tokens: int = 800) -> MemoryUpdate:
    """Ask the LLM (temperature 0.1) to rewrite pamphlets and entries after a session."""
    current = {
        "student_pamphlet": memory.student_pamphlet.text,
        "teacher_pamphlet": memory.teacher_pamphlet.text,
        "entries": [{"id": e.id, "cue": {"kind": e.cue.kind, "pattern": e.cue.pattern},
                     "action": e.action, "expected_effect": e.expected_effect, "scope": e.scope,
                     "helped": e.helped, "hurt": e.hurt} for e in memory.entries if e.live],
    }
    messages = [{"role": "system", "content": SYNTHESIS_PROMPT},
                {"role": "user", "content": f"Current memory:\n{json.dumps(current, indent=1)}"
                                            f"\n\nSession:\n{session_summary}"}]
    try:
        reply = chat_json(llm, messages, MemoryRewrite, max_tokens=max_tokens, temperature=0.1)
    except LLMError as exc:
        return MemoryUpdate(None, f"engine failed: {exc}")
    if reply.value is None:
        return MemoryUpdate(None, reply.error, reply.call.completion)
    try:
        merged = _merge(memory, reply.value.model_dump(exclude_none=True))
        return MemoryUpdate(merged, "parsed", reply.call.completion)
    except ValueError as exc:
        return MemoryUpdate(None, str(exc), reply.call.completion)


def rubric_score(entry: PlaybookEntry, *, generality_ok: bool = True, cue_ok: bool = True) -> float:
    """Upstream's weighted rubric: actionability 0.4, generality 0.3, hookability 0.2, concision 0.1.

    Hookability: regex 1.0, predicate 0.6, keyword 0.4 (0 for an invalid cue); concision is
    full up to 420 characters of action + effect + cue, then falls linearly.
    """
    length = len(entry.action) + len(entry.expected_effect) + len(entry.cue.pattern)
    scores = {"actionability": 1.0 if entry.action.strip() else 0.0,
              "generality": 1.0 if generality_ok else 0.0,
              "hookability": HOOKABILITY.get(entry.cue.kind, 0.4) if cue_ok else 0.0,
              "concision": max(0.0, 1.0 - max(0, length - CONCISE_CHARS) / CONCISE_CHARS)}
    return round(sum(RUBRIC_WEIGHTS[k] * v for k, v in scores.items()), 4)


def _merge(old: LearningMemory, data: dict) -> LearningMemory:
    """Apply a parsed rewrite: revised entries keep their counters, omitted ones are retired."""
    pamphlets = {}
    for name in ("student_pamphlet", "teacher_pamphlet"):
        text = data.get(name, getattr(old, name).text)
        if not isinstance(text, str):
            raise ValueError(f"{name} is not a string")
        pamphlets[name] = Pamphlet(text.strip())
    proposed = data.get("entries")
    if proposed is None:
        return replace(old, **pamphlets)
    if not isinstance(proposed, list):
        raise ValueError("entries is not a list")
    live = {e.id: e for e in old.entries if e.live}
    kept, fresh = {}, []
    for n, item in enumerate(proposed, 1):
        cue = item.get("cue") if isinstance(item, dict) else None
        if not (isinstance(cue, dict) and isinstance(item.get("action"), str)):
            raise ValueError(f"entry {n}: needs a cue object and an action")
        fields = dict(cue=Cue(str(cue.get("kind", "")), str(cue.get("pattern", ""))),
                      action=item["action"].strip(),
                      expected_effect=str(item.get("expected_effect") or "").strip(),
                      scope=str(item.get("scope") or "reinforcement"))
        eid = str(item.get("id") or "")
        if eid in live and eid not in kept:
            kept[eid] = replace(live[eid], **fields)
        else:
            fresh.append(fields)
    entries = [kept.get(e.id) or (replace(e, status="deprecated", note="retired by synthesis")
                                  if e.live else e) for e in old.entries]
    entries += [PlaybookEntry(id=f"e{len(entries) + i}", **f) for i, f in enumerate(fresh, 1)]
    return replace(old, entries=tuple(entries), **pamphlets)


def gate_update(old: LearningMemory, update: MemoryUpdate,
                gold_answers_seen: list[str]) -> GateResult:
    """Accept or reject a rewrite; generality failures make entries provisional, not rejected."""
    new = update.proposed
    if new is None:
        return GateResult(False, old, (f"no update: {update.reason}",))
    failures = [*_leaks(old, new, gold_answers_seen), *_contradictions(old, new)]
    for name in ("student_pamphlet", "teacher_pamphlet"):
        if (words := getattr(new, name).words) > MAX_PAMPHLET_WORDS:
            failures.append(f"{name} has {words} words (cap {MAX_PAMPHLET_WORDS})")
    warnings, entries = [], []
    for e in new.entries:
        if e.live:
            mine = _entry_failures(e)
            failures += [f"{e.id}: {f}" for f in mine]
            found = [what for what, rx in GENERALITY.items() if rx.search(_text_of(e))]
            warnings += [f"{e.id}: contains {what}" for what in found]
            cue_ok = not any(f.startswith(("invalid cue", "cue regex")) for f in mine)
            e = replace(e, status="provisional" if found else "active",
                        rubric=rubric_score(e, generality_ok=not found, cue_ok=cue_ok))
        entries.append(e)
    if failures:
        return GateResult(False, old, tuple(failures), tuple(warnings))
    return GateResult(True, replace(new, entries=tuple(entries)), (), tuple(warnings))


def _entry_failures(e: PlaybookEntry) -> list[str]:
    failures = []
    if e.cue.kind not in ("regex", "keyword") or not e.cue.pattern:
        failures.append(f"invalid cue {e.cue.kind!r}: {e.cue.pattern!r}")
    elif e.cue.kind == "regex":
        try:
            re.compile(e.cue.pattern)
        except re.error as exc:
            failures.append(f"cue regex does not compile: {exc}")
    if not e.action:
        failures.append("empty action")
    for what, text, cap in (("cue", e.cue.pattern, MAX_PATTERN), ("action", e.action, MAX_ACTION),
                            ("expected effect", e.expected_effect, MAX_EFFECT)):
        if len(text) > cap:
            failures.append(f"{what} has {len(text)} chars (cap {cap})")
    return failures


def _leaks(old: LearningMemory, new: LearningMemory, golds: list[str]) -> list[str]:
    """Gold numbers that the rewrite adds (a number the old memory already had is no leak)."""
    before, after = set(numbers_in(_memory_text(old))), set(numbers_in(_memory_text(new)))
    leaked = sorted({n for gold in golds for n in numbers_in(gold)} & (after - before))
    return [f"leaks the answer number {n}" for n in leaked]


def _contradictions(old: LearningMemory, new: LearningMemory) -> list[str]:
    """A rewrite may not retire or negate an entry that has helped more than it hurt."""
    now = {e.id: e for e in new.entries}
    failures = []
    for e in old.entries:
        if not (e.live and e.helped > e.hurt):
            continue
        if e.id not in now or not now[e.id].live:
            failures.append(f"retires {e.id}, which has helped ({e.helped} vs {e.hurt} hurt)")
        failures += [f"{n.id} negates helpful {e.id}: {n.action!r}" for n in new.entries
                     if n.live and _negates(n.action, e.action)]
    return failures


def _negates(action: str, helpful: str) -> bool:
    """A negation word added to an action that shares most of the helpful one's content words."""
    if bool(NEGATIONS.search(action)) == bool(NEGATIONS.search(helpful)):
        return False
    return shares_most_words(helpful, action)


def _text_of(e: PlaybookEntry) -> str:
    return f"{e.cue.pattern}\n{e.action}\n{e.expected_effect}"


def _memory_text(m: LearningMemory) -> str:
    return "\n".join([m.student_pamphlet.text, m.teacher_pamphlet.text,
                      *(_text_of(e) for e in m.entries if e.live)])
