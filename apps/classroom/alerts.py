"""Alerts on a student's session for the teacher's live monitor: pure functions of the turns."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from apps.problems.detections import top_detection

STRUGGLE_AFTER_TURNS = 4
REPEATED_MISCONCEPTION = 2
FRUSTRATION_WORDS = ("give up", "i quit", "hate", "stupid", "dumb", "useless", "pointless",
                     "confused", "don't get it", "dont get it", "don't understand",
                     "dont understand", "no idea", "too hard", "boring", "ugh")
_FRUSTRATION = re.compile(r"\b(" + "|".join(re.escape(w) for w in FRUSTRATION_WORDS) + r")\b",
                          re.IGNORECASE)


@dataclass(frozen=True)
class Alert:
    kind: str  # struggling | misconception | frustration
    message: str
    subject: str = ""  # the misconception key of a misconception alert

    @property
    def identity(self) -> tuple[str, str]:
        return self.kind, self.subject


def alerts_for(turns: Iterable, *, struggle_after: int = STRUGGLE_AFTER_TURNS,
               repeated: int = REPEATED_MISCONCEPTION) -> list[Alert]:
    """Struggling (N student turns, none correct), a repeated misconception, frustration words."""
    student = [t for t in turns if t.author == "student"]
    alerts = []
    if len(student) >= struggle_after and not any(t.is_correct for t in student):
        alerts.append(Alert("struggling",
                            f"{len(student)} attempts without a correct answer"))
    keys = Counter()
    names = {}
    for turn in student:
        top = top_detection(turn)
        if top:
            keys[top.key] += 1
            names[top.key] = top.name
    for key, count in keys.most_common():
        if count >= repeated:
            alerts.append(Alert("misconception", f"{names[key]} ×{count}", key))
    said = [m.group(1).lower() for t in student for m in _FRUSTRATION.finditer(t.text or "")]
    if said:
        alerts.append(Alert("frustration", "said: " + ", ".join(dict.fromkeys(said))))
    return alerts
