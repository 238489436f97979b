"""Every graph has ATLAS's shape: module-level nodes, deps by context, compiled once."""

import numpy as np

from agents.atlas import graph as atlas
from agents.atlas.graph import AtlasDeps
from agents.graphs import leap, misconception, simulated_student
from agents.graphs.leap import LeapConfig, LeapDeps, run_leap
from agents.graphs.misconception import (
    CatalogueEntry,
    CatalogueIndex,
    DetectorDeps,
    GraphMisconceptionDetector,
)
from agents.graphs.simulated_student import StudentDeps, StudentSeed, student_turn
from agents.llm import ScriptedEngine
from agents.tracing import Tracer


class DigitCounts:
    """A stand-in embedder: how often each digit occurs, as a unit vector."""

    def embed(self, texts):
        vectors = np.array([[t.count(c) + 0.1 for c in "0123456789"] for t in texts], float)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_each_graph_is_compiled_once_per_process_and_takes_its_deps_as_context():
    for compiled, deps in ((leap.leap_graph, LeapDeps), (simulated_student.student_graph, StudentDeps),
                           (misconception.misconception_graph, DetectorDeps),
                           (atlas.atlas_graph, AtlasDeps)):
        assert compiled() is compiled()
        assert compiled().builder.context_schema is deps


def test_two_detections_reuse_the_one_compiled_graph_with_their_own_index_and_trace():
    index = CatalogueIndex([CatalogueEntry("a", "Adds", "Adds instead of multiplying", "", "3 + 4 = 7"),
                            CatalogueEntry("b", "Halves", "Halves instead of doubling", "", "8 / 2 = 4")],
                           DigitCounts())
    misconception.misconception_graph()
    before = misconception.misconception_graph.cache_info()
    first, second = Tracer(), Tracer()
    found = GraphMisconceptionDetector(index, None, method="retrieval", k=1).detect(
        "", "", "3 + 4 = 7", tracer=first)
    picked = GraphMisconceptionDetector(index, ScriptedEngine(['{"picks": [{"option": 1}]}']),
                                        k=1).detect("", "", "8 / 2 = 4", tracer=second)
    after = misconception.misconception_graph.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (2, 0)
    assert [d.key for d in found] == ["a"] and [d.key for d in picked] == ["b"]
    assert "rerank" not in [s.name for s in first.spans] and len(second.calls) == 1


def test_two_runs_on_the_one_graph_keep_their_own_engines_and_traces():
    seed = StudentSeed(problem="3 bags of 4 apples?", incorrect_solution="3 + 4 = 7", profile="",
                       gold_answer="12")
    first, second = Tracer(), Tracer()
    a = student_turn(ScriptedEngine(["It is 12."]), seed, [{"role": "user", "content": "How many?"}],
                     tracer=first)
    b = student_turn(ScriptedEngine(["Still 7."]), seed, [{"role": "user", "content": "Sure?"}],
                     tracer=second)
    assert (a["reply"], a["solved"], b["reply"], b["solved"]) == ("It is 12.", True, "Still 7.", False)
    assert len(first.calls) == len(second.calls) == 1
    config = LeapConfig(n_paths=2, every_tokens=8, top_k=1, router="dispersed", max_rounds=1)
    result = run_leap(ScriptedEngine(["Final answer: 12"]), "3 bags of 4 apples?", config)
    assert result.answer == "12"
