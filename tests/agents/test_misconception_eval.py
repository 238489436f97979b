"""CogTutorBugs items, the held-out split and the ranking metrics (agents.eval.misconception_eval)."""

import json

import pytest

from agents.eval.misconception_eval import (
    DatasetError,
    LabelledItem,
    read_cogtutor_bugs,
    scores,
    select_items,
    split_of,
)

RECORD = {"eq1": "-6=3+y/9", "action": "DIV_SIDE", "Input": "9", "eq2": "-6/9=3+y/9/9",
          "Previous Action": None, "Label Name": "DIVIDE_TO_SIMPLIFY",
          "Feedback": "you need to divide by <expression>1/9</expression>",
          "Filtered Feedback": "you need to divide by  or multiply by ."}


def test_an_item_shows_the_step_and_never_the_feedback(tmp_path):
    path = tmp_path / "bugs.json"
    path.write_text(json.dumps([RECORD]))
    [item] = read_cogtutor_bugs(path)
    assert item.label == "cogtutor:DIVIDE_TO_SIMPLIFY" and item.group == "-6=3+y/9"
    assert item.student_work == ("Equation: -6=3+y/9\nStep: divide both sides by 9\n"
                                 "Result: -6/9=3+y/9/9")
    assert "divide by 1/9" not in item.student_work + item.problem and "Solve" in item.problem


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    (json.dumps({"eq1": "x=1"}), "non-empty JSON array"),
    (json.dumps([RECORD, {**RECORD, "eq2": ""}]), "record 2: `eq2` is missing or empty"),
    (json.dumps([RECORD, ["x"]]), "record 2: expected a JSON object"),
])
def test_a_file_with_the_wrong_schema_is_refused_with_the_record_named(tmp_path, content, message):
    path = tmp_path / "bugs.json"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        read_cogtutor_bugs(path)


def test_the_split_keeps_every_starting_equation_on_one_side_and_drops_catalogue_examples():
    items = [LabelledItem("p", "", f"work {n}", "L", f"{n % 40}x=3") for n in range(400)]
    test, dev = select_items(items, "test"), select_items(items, "dev")
    assert len(test) + len(dev) == 400 and 0 < len(test) < len(dev)
    assert not {i.group for i in test} & {i.group for i in dev}
    shown = test[0].group
    assert all(i.group != shown for i in select_items(items, "test", exclude_groups=[shown]))
    assert select_items(items, "test", limit=5) == select_items(items, "test")[:5]
    assert split_of("5x=3") == split_of("5x=3")


def test_scores_count_top1_top3_and_map_at_3():
    results = [("a", ["a", "b"]), ("a", ["b", "a"]), ("a", ["b", "c", "a"]), ("a", ["b", "c", "d", "a"]),
               ("a", [])]
    figures = scores(results)
    assert figures["top1"] == pytest.approx(1 / 5)
    assert figures["top3"] == pytest.approx(3 / 5)
    assert figures["map3"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 5)
    assert figures["none_rate"] == pytest.approx(1 / 5)
    assert scores([])["n"] == 0
