"""ATLAS: continual learning without training (papers.md section 4).

A student agent solves, a teacher supervises in a lane chosen from the key's reward history,
and a gated learning memory per key carries what was learned into the next session.
"""

from agents.atlas.graph import build_atlas_graph, run_atlas_session, run_student_alone
from agents.atlas.lanes import Lane, LaneThresholds, choose_lane
from agents.atlas.memory import (
    Cue,
    InMemoryStore,
    LearningMemory,
    MemoryStore,
    Pamphlet,
    PlaybookEntry,
)
from agents.atlas.playbook import prune, update_counters
from agents.atlas.reward import Reward, judge_reward, score_answer
from agents.atlas.session import AtlasConfig, AtlasSession, AtlasTask, Attempt, StudentRun
from agents.atlas.synthesis import GateResult, MemoryUpdate, gate_update, propose_update

__all__ = [
    "AtlasConfig", "AtlasSession", "AtlasTask", "Attempt", "Cue", "GateResult", "InMemoryStore",
    "Lane", "LaneThresholds", "LearningMemory", "MemoryStore", "MemoryUpdate", "Pamphlet",
    "PlaybookEntry", "Reward", "StudentRun", "build_atlas_graph", "choose_lane", "gate_update",
    "judge_reward", "propose_update", "prune", "run_atlas_session", "run_student_alone",
    "score_answer", "update_counters",
]
