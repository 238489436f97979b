"""LeaP and the simulated student have ATLAS's shape: module-level nodes, deps by context, compiled once."""

from agents.graphs import leap, simulated_student
from agents.graphs.leap import LeapConfig, LeapDeps, run_leap
from agents.graphs.simulated_student import StudentDeps, StudentSeed, student_turn
from agents.llm import ScriptedEngine
from agents.tracing import Tracer


def test_each_graph_is_compiled_once_per_process_and_takes_its_deps_as_context():
    for compiled, deps in ((leap.leap_graph, LeapDeps), (simulated_student.student_graph, StudentDeps)):
        assert compiled() is compiled()
        assert compiled().builder.context_schema is deps


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
