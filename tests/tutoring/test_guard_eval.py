"""`manage.py guard_eval` on a small MRBench file: one call per response, scored against people."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import DATA


def three_conversations(tmp_path):
    records = json.loads((DATA / "mrbench" / "MRBench_V1.json").read_text())
    bridge = [r for r in records if r["Data"] == "Bridge"][:1]
    mathdial = [r for r in records if r["Data"] == "MathDial"][:2]
    path = tmp_path / "three.json"
    path.write_text(json.dumps(mathdial + bridge))
    return path, mathdial + bridge


def test_guard_eval_writes_one_call_per_response_and_scores_it(tmp_path, capsys):
    path, records = three_conversations(tmp_path)
    out = tmp_path / "guard.json"
    call_command("guard_eval", "--mrbench", str(path), "--out", str(out))
    result = json.loads(out.read_text())
    expected = [(r["conversation_id"], tutor) for r in records for tutor in r["anno_llm_responses"]]
    assert [(x["conversation_id"], x["tutor"]) for x in result["responses"]] == expected
    assert all(isinstance(x["reveals"], bool) for x in result["responses"])
    people = [r["anno_llm_responses"][t]["annotation"]["Revealing_of_the_Answer"]
              .startswith("Yes") for r in records for t in r["anno_llm_responses"]]
    m = result["metrics"]["all"]
    assert m["n"] == len(expected) and m["positives"] == sum(people)
    assert m["tp"] + m["fn"] == sum(people)
    assert set(result["metrics"]) == {"all", "Bridge", "MathDial"}
    assert "F1=" in capsys.readouterr().out


def test_word_answers_of_bridge_are_caught_but_hints_are_not(tmp_path):
    from agents.eval.guard_eval import guard_input, guard_reveals, parse_conversation

    conversation = parse_conversation({
        "conversation_id": "x", "Data": "Bridge", "Ground_Truth_Solution": "Not Available",
        "conversation_history": "Tutor: What is the name of a 5 sided polygon?\n Student: a octogon",
        "anno_llm_responses": {}}, 0)
    protected = guard_input(conversation)
    assert guard_reveals("That's close, but a 5-sided polygon is actually called a pentagon.",
                         protected)
    assert guard_reveals("Good try, but 9 times 8 is actually 72.", protected)
    assert not guard_reveals("How many sides does an octagon have?", protected)
    assert not guard_reveals("Let's count the sides together. What do you see?", protected)


def test_a_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"conversation_id": "1"}]')
    with pytest.raises(CommandError, match="record 0: `conversation_history` is missing"):
        call_command("guard_eval", "--mrbench", str(bad), "--out", str(tmp_path / "o.json"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("guard_eval", "--mrbench", str(tmp_path / "nope.json"),
                     "--out", str(tmp_path / "o.json"))
