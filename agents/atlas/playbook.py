"""Impact counters and pruning of playbook entries (papers.md section 4, "Pruning")."""

from __future__ import annotations

import re
from dataclasses import replace

from agents.atlas.memory import LearningMemory, PlaybookEntry

MIN_OBSERVED = 10
TRANSFER_AFTER = 20


def update_counters(memory: LearningMemory, session_text: str, reward: float,
                    baseline_reward: float, task_id: str = "", *,
                    output_text: str | None = None) -> LearningMemory:
    """Count one observed session against every live entry; `baseline_reward` is the key's mean.

    Cues fire on `session_text` (the student's input, as upstream's cue detection); adoption
    is read in `output_text` (the student's work), or in `session_text` when none is given.
    """
    output_text = session_text if output_text is None else output_text
    delta = reward - baseline_reward
    entries = []
    for e in memory.entries:
        if not e.live:
            entries.append(e)
            continue
        if not e.cue.matches(session_text):
            entries.append(replace(e, observed=e.observed + 1))
            continue
        tasks = e.hit_tasks
        if task_id and task_id not in tasks:
            tasks = (*tasks, task_id)[-2:]  # two distinct tasks are all the transfer rule needs
        entries.append(replace(
            e, observed=e.observed + 1, hit_sessions=e.hit_sessions + 1,
            used=e.used + shares_most_words(e.action, output_text),
            helped=e.helped + (delta > 0), hurt=e.hurt + (delta < 0),
            delta_sum=e.delta_sum + delta, hit_tasks=tasks))
    return replace(memory, entries=tuple(entries))


def prune(entries: tuple[PlaybookEntry, ...] | list[PlaybookEntry],
          min_observed: int = MIN_OBSERVED) -> tuple[PlaybookEntry, ...]:
    """Mark live entries seen in >= `min_observed` sessions `pruned` when a rule fires."""
    return tuple(replace(e, status="pruned", note=why) if (why := prune_reason(e, min_observed))
                 else e for e in entries)


def prune_reason(entry: PlaybookEntry, min_observed: int = MIN_OBSERVED) -> str:
    """Why `entry` should be pruned, or "" to keep it."""
    e = entry
    if not e.live or e.observed < min_observed:
        return ""
    hit_rate = e.hit_sessions / e.observed
    delta = e.delta_sum / e.hit_sessions if e.hit_sessions else 0.0
    adoption = e.used / e.hit_sessions if e.hit_sessions else 0.0
    if hit_rate < 0.05:
        return f"cue hit rate {hit_rate:.2f} < 0.05 after {e.observed} sessions"
    if delta < -0.01 and e.hit_sessions >= 5:
        return f"reward delta {delta:+.2f} < -0.01 over {e.hit_sessions} hit sessions"
    if delta < 0.01 and adoption > 0.5 and e.hit_sessions >= 10:
        return f"adopted ({adoption:.2f}) but reward delta {delta:+.2f} < 0.01"
    if e.observed >= TRANSFER_AFTER and len(e.hit_tasks) < 2:
        return f"no transfer to 2 tasks after {e.observed} sessions"
    return ""


def shares_most_words(phrase: str, text: str) -> bool:
    """Whether at least half of `phrase`'s content words (4+ letters) occur in `text`.

    An action whose words show up in a session's text counts as adopted.
    """
    words = set(re.findall(r"[a-z]{4,}", phrase.lower()))
    return bool(words) and len(words & set(re.findall(r"[a-z]{4,}", text.lower()))) * 2 >= len(words)
