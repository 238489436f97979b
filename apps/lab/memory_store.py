"""ATLAS learning memory in Postgres: every version kept, rewards with lane and rationale."""

from __future__ import annotations

import difflib
import json

from django.db import transaction
from django.db.models import Max

from agents.atlas import Lane, LearningMemory, Reward
from agents.atlas.probe import HistoryRecord
from apps.lab.models import MemoryVersion, RewardRecord


class PostgresMemoryStore:
    """The `agents.atlas.MemoryStore` protocol over `MemoryVersion` and `RewardRecord` rows."""

    def load(self, key: str) -> LearningMemory:
        """The latest memory of `key` (an empty one if none)."""
        row = MemoryVersion.objects.filter(key=key).order_by("-version").first()
        return LearningMemory.from_dict(row.memory) if row else LearningMemory()

    @transaction.atomic
    def save(self, key: str, memory: LearningMemory, reason: str) -> None:
        """Store a new version of `key`'s memory, keeping every earlier one."""
        latest = (MemoryVersion.objects.select_for_update().filter(key=key)
                  .aggregate(v=Max("version"))["v"] or 0)
        MemoryVersion.objects.create(key=key, version=max(memory.version, latest + 1),
                                     memory=memory.to_dict(), reason=reason)

    def history(self, key: str) -> list[float]:
        """Reward scores of `key`, oldest first."""
        return list(RewardRecord.objects.filter(key=key).order_by("id").values_list("score", flat=True))

    def records(self, key: str) -> list[HistoryRecord]:
        """The key's sessions, oldest first, as the capability probe reads them."""
        return [HistoryRecord(score, rationale, lane) for score, rationale, lane in
                RewardRecord.objects.filter(key=key).order_by("id")
                .values_list("score", "rationale", "lane")]

    def record_reward(self, key: str, reward: Reward, lane: Lane) -> None:
        """Append a session's reward, the lane it ran in and the reward's rationale."""
        RewardRecord.objects.create(key=key, score=reward.score, rationale=reward.rationale,
                                    source=reward.source, lane=lane)


class PendingMemoryStore:
    """The store a session runs on outside any transaction: reads see Postgres plus this
    session's own writes, and the writes wait in memory until `flush` (called inside the
    transaction that saves the session's records), so a step that is dropped writes nothing."""

    def __init__(self, stored: PostgresMemoryStore | None = None) -> None:
        self.stored = stored or PostgresMemoryStore()
        self.memories: list[tuple[str, LearningMemory, str]] = []
        self.rewards: list[tuple[str, Reward, Lane]] = []

    def load(self, key: str) -> LearningMemory:
        mine = [memory for k, memory, _ in self.memories if k == key]
        return mine[-1] if mine else self.stored.load(key)

    def save(self, key: str, memory: LearningMemory, reason: str) -> None:
        self.memories.append((key, memory, reason))

    def history(self, key: str) -> list[float]:
        return self.stored.history(key) + [r.score for k, r, _ in self.rewards if k == key]

    def records(self, key: str) -> list[HistoryRecord]:
        return self.stored.records(key) + [HistoryRecord(r.score, r.rationale, lane)
                                           for k, r, lane in self.rewards if k == key]

    def record_reward(self, key: str, reward: Reward, lane: Lane) -> None:
        self.rewards.append((key, reward, lane))

    def flush(self) -> None:
        """Write the pending rewards and memory versions, in the order the session made them."""
        for key, reward, lane in self.rewards:
            self.stored.record_reward(key, reward, lane)
        for key, memory, reason in self.memories:
            self.stored.save(key, memory, reason)
        self.memories, self.rewards = [], []


def memory_diff(older: dict, newer: dict) -> list[str]:
    """A unified diff of two stored memories, as lines of pretty-printed JSON."""
    def lines(memory: dict) -> list[str]:
        return json.dumps(memory, indent=2, sort_keys=True).splitlines()
    return list(difflib.unified_diff(lines(older), lines(newer), "older", "newer", lineterm="", n=2))
