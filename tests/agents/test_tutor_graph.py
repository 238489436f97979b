"""The tutor graph from a plain Python shell: no Django, scripted engine."""

from langgraph.checkpoint.memory import InMemorySaver

from agents.graphs.detection import Detection
from agents.graphs.tutor import first_wrong_step, run_tutor_turn
from agents.llm import ScriptedEngine
from agents.tracing import Tracer

PROBLEM = {"problem": "3 bags of 6 apples. How many apples?", "gold_answer": "18",
           "gold_solution": "3 bags * 6 apples = 18 apples\n 18"}
NODES = ["tutor_turn", "assess", "detect", "choose_move", "respond", "guard"]


def test_assess_marks_a_right_answer_and_tells_the_responder():
    engine = ScriptedEngine(["Great, why does multiplying work here?"])
    state = run_tutor_turn(engine, {**PROBLEM, "student_message": "3 x 6 = 18 apples"},
                           tracer=Tracer())
    assert state["student_correct"] is True and state["student_answer"] == "18"
    assert state["move"] == "generic"
    assert "is correct" in engine.calls[0].messages[0]["content"]


def test_assess_marks_a_wrong_answer_locates_it_and_the_reply_streams():
    engine, tokens = ScriptedEngine(["What did you do with the 3 bags?"]), []
    tracer = Tracer()
    state = run_tutor_turn(engine, {**PROBLEM, "student_message": "I added: 3 + 6 = 9",
                                    "dialogue": [{"role": "assistant", "content": "Hi!"}]},
                           tracer=tracer, on_token=tokens.append)
    assert state["student_correct"] is False and state["reply"] == "".join(tokens)
    assert state["first_error"] == "I added: 3 + 6 = 9" and state["move"] == "focus"
    assert "answer 9 is not correct" in engine.calls[0].messages[0]["content"]
    assert "3 + 6 = 9" in engine.calls[0].messages[0]["content"]
    assert engine.calls[0].messages[1] == {"role": "assistant", "content": "Hi!"}
    assert [s.name for s in tracer.spans] == NODES


def test_first_wrong_step_compares_with_the_gold_solution():
    gold = "12+3=15 spoons\n15-5=10\n 10"
    assert first_wrong_step("12 - 3 = 9\n9 - 5 = 4", gold) == ("12 - 3 = 9", "12+3=15 spoons")
    assert first_wrong_step("12 + 3 = 15\n15 + 5 = 20", gold) == ("15 + 5 = 20", "15-5=10")
    assert first_wrong_step("I don't know", gold) == (None, "12+3=15 spoons")


TEMPLATE = "You wrote 3 + 6 = 9. What does that number stand for in the problem?"


def test_a_leak_is_regenerated_once_then_replaced_by_a_template_and_never_streamed():
    engine, events = ScriptedEngine(["Close! It is 18.", "Well, eighteen apples."]), []
    tracer = Tracer()
    state = run_tutor_turn(engine, {**PROBLEM, "student_message": "3 + 6 = 9"}, tracer=tracer,
                           on_token=events.append, on_reset=lambda: events.append("<reset>"))
    assert state["reply"] == TEMPLATE and state["move"] == "focus"
    assert [g["action"] for g in state["guard"]] == ["regenerate", "template"]
    assert [g["original"] for g in state["guard"]] == ["Close! It is 18.", "Well, eighteen apples."]
    assert state["verdict"]["outcome"] == "template" and "leak" in state["verdict"]["reasons"]
    assert "".join(events) == "Close!<reset>" + TEMPLATE  # 18 never shown
    guard_span = next(s for s in tracer.spans if s.name == "guard")
    assert guard_span.attributes["interventions"] == state["guard"]
    assert guard_span.attributes["verdict"] == state["verdict"]
    assert len(guard_span.calls) == 1  # the regeneration is in the trace
    note = guard_span.calls[0].messages[0]["content"]
    assert "states the final answer" in note and "18" not in note  # told why, not the answer


def test_a_regenerated_clean_reply_replaces_the_leak():
    engine, tokens = ScriptedEngine(["Hmm. So 3 x 6 = 18, right?", "What does 'each' mean?"]), []
    state = run_tutor_turn(engine, {**PROBLEM, "student_message": "3 + 6 = 9"},
                           tracer=Tracer(), on_token=tokens.append)
    assert state["reply"] == "What does 'each' mean?"
    assert [g["action"] for g in state["guard"]] == ["regenerate"]
    assert state["verdict"] == {"outcome": "regenerated", "reasons": ["leak"], "drafts": 2}
    assert "".join(tokens) == "Hmm.What does 'each' mean?"  # "Hmm." released, then reset


def test_telling_is_not_guarded_once_the_budget_allows_it():
    engine = ScriptedEngine(["3 x 6 = 18: there are 18 apples. Can you see why?"])
    dialogue = [m for _ in range(2) for m in ({"role": "user", "content": "3 + 6 = 9"},
                                              {"role": "assistant", "content": "Hmm?"})]
    state = run_tutor_turn(engine, {**PROBLEM, "student_message": "3 + 6 = 9",
                                    "dialogue": dialogue, "telling_budget_turn": 2},
                           tracer=Tracer(), checkpointer=InMemorySaver(), thread_id="s")
    assert state["student_turn"] == 2 and state["guard"] == []
    assert "18 apples" in state["reply"]


def test_a_scripted_dialogue_runs_through_the_graph_with_a_checkpointed_history():
    """Five student turns: focus/probing alternate, the budget lets the tutor tell at turn 5,
    detections reach the prompt, and the history lives in the checkpoint."""

    class OneDetector:
        def detect(self, problem, gold_solution, student_work, *, tracer=None):
            return [Detection("add-vs-mul", "Adds instead of multiplying", "uses + for groups",
                              0.9)]

    engine = ScriptedEngine(lambda messages: "What does each bag hold?")
    saver, dialogue, moves = InMemorySaver(), [], []
    for turn in range(6):
        message = "3 + 6 = 9" if turn < 5 else "3 x 6 = 18"
        state = run_tutor_turn(engine, {**PROBLEM, "student_message": message,
                                        "dialogue": dialogue},
                               tracer=Tracer(), checkpointer=saver, thread_id="session-1",
                               detector=OneDetector())
        moves.append(state["move"])
        dialogue += [{"role": "user", "content": message},
                     {"role": "assistant", "content": state["reply"]}]
    assert moves == ["focus", "probing", "focus", "probing", "focus", "generic"]
    assert {type(m) for m in moves} == {str}  # checkpoints hold plain values, not Move objects
    assert state["detections"] == []  # a right answer needs no detection
    assert sorted(state["history"]) == ["0", "1", "2", "3", "4", "5"]
    assert "Adds instead of multiplying" in engine.calls[0].messages[0]["content"]

    # A stuck student at turn 5 gets telling, read from the checkpointed history.
    saver, dialogue = InMemorySaver(), []
    for _turn in range(6):
        state = run_tutor_turn(engine, {**PROBLEM, "student_message": "3 + 6 = 9",
                                        "dialogue": dialogue},
                               tracer=Tracer(), checkpointer=saver, thread_id="session-2")
        dialogue += [{"role": "user", "content": "3 + 6 = 9"},
                     {"role": "assistant", "content": state["reply"]}]
    assert state["move"] == "telling" and "3 bags * 6 apples" in engine.calls[-1].messages[0][
        "content"]


JANET_GOLD = ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
              "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18")


def test_first_wrong_step_finds_a_miscalculation_whose_result_appears_in_the_problem():
    from agents.graphs.tutor import first_wrong_step

    work = "She has 16 eggs, eats 3 and bakes 4, so 16 - 3 - 4 = 9 eggs. 9 x 2 = 16 dollars."
    assert first_wrong_step(work, JANET_GOLD)[0] == "9 x 2 = 16 dollars"
    assert first_wrong_step("16 - 3 - 4 = 9. 9 x 2 = 18", JANET_GOLD)[0] is None
    assert first_wrong_step("16 + 3 = 19, then 19 x 2 = 38", JANET_GOLD)[0] == (
        "16 + 3 = 19, then 19 x 2 = 38")


def test_naming_the_detected_misconception_is_not_an_echo_of_the_prompt():
    class OneDetector:
        def detect(self, problem, gold_solution, student_work, *, tracer=None):
            return [Detection("add-vs-mul", "Adds instead of multiplying",
                              "uses addition where the groups should be multiplied", 0.9)]

    reply = "It looks like you used addition where the groups should be multiplied. Why add?"
    state = run_tutor_turn(ScriptedEngine([reply]), {**PROBLEM, "student_message": "3 + 6 = 9"},
                           tracer=Tracer(), detector=OneDetector())
    assert state["verdict"]["outcome"] == "accepted" and state["reply"] == reply
