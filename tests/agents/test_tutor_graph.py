"""The tutor graph from a plain Python shell: no Django, scripted engine."""

from agents.graphs.tutor import run_tutor_turn
from agents.llm import ScriptedEngine
from agents.tracing import Tracer

PROBLEM = {"problem": "3 bags of 6 apples. How many apples?", "gold_answer": "18"}


def test_assess_marks_a_right_answer_and_tells_the_responder():
    engine = ScriptedEngine(["Great, why does multiplying work here?"])
    state = run_tutor_turn(engine, {**PROBLEM, "student_message": "3 x 6 = 18 apples"},
                           tracer=Tracer())
    assert state["student_correct"] is True and state["student_answer"] == "18"
    assert "is correct" in engine.calls[0].messages[0]["content"]


def test_assess_marks_a_wrong_answer_and_the_reply_streams():
    engine, tokens = ScriptedEngine(["What did you do with the 3 bags?"]), []
    tracer = Tracer()
    state = run_tutor_turn(engine, {**PROBLEM, "student_message": "I added: 9",
                                    "dialogue": [{"role": "assistant", "content": "Hi!"}]},
                           tracer=tracer, on_token=tokens.append)
    assert state["student_correct"] is False and state["reply"] == "".join(tokens)
    assert "answer 9 is not correct" in engine.calls[0].messages[0]["content"]
    assert engine.calls[0].messages[1] == {"role": "assistant", "content": "Hi!"}
    assert [s.name for s in tracer.spans] == ["tutor_turn", "assess", "respond"]
