"""The MathDial dialogue runner and its dataset reader, on the scripted engine."""

import json

import pytest

from agents.eval.tutor_eval import DatasetError, build_report, load_dataset, run_dialogue, select
from agents.llm import ScriptedEngine
from agents.tracing import Tracer
from tests.conftest import DATA

DEV = str(DATA / "mathdial" / "dev.jsonl")
ITEM = {"qid": 7, "question": "3 bags of 6 apples. How many apples?",
        "ground_truth": "3 * 6 = 18\n 18", "student_incorrect_solution": "3 + 6 = 9\n 9",
        "student_profile": "Ana is a 7th grade student. She mixes up operations."}


def write(tmp_path, lines):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_dev_file_loads_with_line_numbers():
    items = load_dataset(DEV)
    assert len(items) == 429 and items[0].line == 1 and items[0].student_name == "Mariana"
    assert [i.line for i in select(items, 5, seed=0)] == sorted(i.line for i in select(items, 5,
                                                                                          seed=0))


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "line 2: not valid JSON"),
    ('["a list"]', "line 2: expected a JSON object"),
    (json.dumps({**ITEM, "student_profile": ""}), "line 2: missing or empty field(s) "
                                                  "student_profile"),
    (json.dumps({**ITEM, "ground_truth": "no number"}), "line 2: ground_truth has no final"),
])
def test_a_malformed_line_is_named(tmp_path, line, message):
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(write(tmp_path, [json.dumps(ITEM), line]))


def test_a_tutorgraph_dialogue_ends_when_the_student_states_the_answer(tmp_path):
    item = load_dataset(write(tmp_path, [json.dumps(ITEM)]))[0]
    student = ScriptedEngine(["I still think 9.", "Oh, 3 groups of 6: 18 apples."])
    tutor = ScriptedEngine(lambda messages: "What does each bag hold?")
    result = run_dialogue(item, tutor="tutorgraph", tutor_llm=tutor, student_llm=student,
                          tracer=Tracer(), k_max=5)
    speakers = [t["speaker"] for t in result["turns"]]
    assert speakers == ["teacher", "student"] * 3 and result["solved"]
    assert result["turns"][0]["text"] == "Hi Ana, please talk me through your solution."
    assert [t["move"] for t in result["turns"][2::2]] == ["focus", "probing"]
    assert (result["s"], result["t"]) == (2, None)
    assert result["success_at_k"]["2"] and not result["success_at_k"]["1"]


def test_the_baseline_has_no_guard_and_its_telling_is_measured(tmp_path):
    item = load_dataset(write(tmp_path, [json.dumps(ITEM)]))[0]
    result = run_dialogue(item, tutor="baseline", tutor_llm=ScriptedEngine(["It is 18."]),
                          student_llm=ScriptedEngine(["Is it 9?"]), tracer=Tracer(), k_max=3)
    assert result["t"] == 1 and result["s"] is None and result["telling_at_k"]["1"]
    report = build_report([result], tutor="baseline", engine="scripted", model="m", k_max=3)
    assert report["telling_at_k"] == {"1": 1.0, "2": 1.0, "3": 1.0}
    assert report["ci95"]["success_at_k"]["3"] == [0.0, 0.0] and report["n"] == 1


def test_the_mathdial_protocol_plays_upstreams_harness_without_early_stop(tmp_path):
    item = load_dataset(write(tmp_path, [json.dumps(ITEM)]))[0]
    student = ScriptedEngine(["Ana: I did 3 + 6 = 9.<EOM>", "Oh, 3 bags of 6 is 18.",
                              "Yes, 18.", "Thanks!"])
    tutor = ScriptedEngine(["What does each bag hold?", "So how many apples?", "Right.", "Bye."])
    result = run_dialogue(item, tutor="baseline", tutor_llm=tutor, student_llm=student,
                          tracer=Tracer(), protocol="mathdial")
    assert [t["speaker"] for t in result["turns"]] == ["teacher"] + ["student", "teacher"] * 4
    assert result["turns"][0]["text"] == "Hi Ana! Could you walk me through your solution?"
    assert result["turns"][1]["text"] == "I did 3 + 6 = 9."  # name and <EOM> stripped as upstream
    assert (result["s"], result["solved"], result["protocol"]) == (1, True, "mathdial")
    first, last = student.calls[0], student.calls[-1]
    assert first.kind == "completion" and first.params["temperature"] == 0.0
    assert first.params["max_tokens"] == 512
    assert "Only when the teacher provides several good reasoning questions, Ana understands" \
        in first.prompt and "Student solution: 3 + 6 = 9\n 9" in first.prompt
    assert first.prompt.endswith("Teacher: Hi Ana! Could you walk me through your solution?\n\nStudent:\n")
    assert "<EOM>\n\nStudent: I did 3 + 6 = 9.<EOM>\n\nTeacher: What does each bag hold?" in last.prompt
    system = tutor.calls[0].messages[0]["content"]
    assert "The correct solution is as follows:\n3 * 6 = 18\n 18" in system  # the tutor sees it
    assert tutor.calls[0].params["temperature"] == 0.0 and tutor.calls[0].params["max_tokens"] == 512
    assert [m["role"] for m in tutor.calls[1].messages] == ["system"] + ["assistant", "user"] * 2


def test_the_tutorgraph_protocol_stays_available_by_name(tmp_path):
    item = load_dataset(write(tmp_path, [json.dumps(ITEM)]))[0]
    result = run_dialogue(item, tutor="baseline", tutor_llm=ScriptedEngine(["It is 18."]),
                          student_llm=ScriptedEngine(["Is it 9?"]), tracer=Tracer(), k_max=3,
                          protocol="tutorgraph")
    assert result["protocol"] == "tutorgraph" and result["turns"][1]["text"] == "3 + 6 = 9\n 9"
    with pytest.raises(ValueError, match="unknown protocol"):
        run_dialogue(item, tutor="baseline", tutor_llm=ScriptedEngine(), student_llm=ScriptedEngine(),
                     tracer=Tracer(), protocol="paper")


def test_reports_measure_contradictions_false_arithmetic_leaks_and_the_verifier(tmp_path):
    item = load_dataset(write(tmp_path, [json.dumps(ITEM)]))[0]
    student = ScriptedEngine(["I still think 9.", "Is it 10?", "Oh, 3 groups of 6: 18 apples."])
    bad = ["That's right! And 2 + 2 = 5.", "So there are 18 apples.", "Well done."]
    reports = {}
    for name in ("baseline", "tutorgraph"):
        tutor = ScriptedEngine(lambda messages, bad=bad: bad[len(messages) % len(bad)])
        result = run_dialogue(item, tutor=name, tutor_llm=tutor, student_llm=ScriptedEngine(
            list(student._replies)), tracer=Tracer(), k_max=5)
        reports[name] = build_report([result], tutor=name, engine="scripted", model="s", k_max=5)
    baseline, graph = reports["baseline"], reports["tutorgraph"]
    assert baseline["reply_checks"]["replies"] == 3
    assert baseline["reply_checks"]["contradiction"] > 0
    assert baseline["reply_checks"]["false_arithmetic"] > 0 or baseline["reply_checks"]["leak"] > 0
    assert baseline["verifier"] == {}
    assert graph["reply_checks"]["contradiction"] == graph["reply_checks"]["leak"] == 0
    assert graph["reply_checks"]["false_arithmetic"] == 0
    assert sum(graph["verifier"].values()) == pytest.approx(1.0)
    assert graph["verifier"]["template"] > 0
