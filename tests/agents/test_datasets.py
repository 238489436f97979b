"""One dataset module: MathDial and GSM8K parsed once, every problem a `DatasetError` naming the line."""

import json

import pytest

from agents import datasets
from agents.datasets import DatasetError, load_gsm8k, load_mathdial, load_problems
from agents.eval import tutor_eval
from tests.conftest import DATA

MATHDIAL = {"qid": 7, "question": "Tom has 3 bags of 4 apples. How many?", "ground_truth": "3 * 4 = 12\n 12",
            "student_incorrect_solution": "3 + 4 = 7\n 7", "student_profile": "Mariana is a student."}


def write(tmp_path, lines: list[str]):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_vendored_files_parse():
    dialogues = load_mathdial(DATA / "mathdial" / "dev.jsonl")
    problems = load_gsm8k(DATA / "gsm8k" / "test.jsonl", limit=5)
    assert len(dialogues) == 429 and dialogues[0].student_name == "Mariana" and dialogues[0].gold
    assert len(problems) == 5 and all(p.gold and p.line == i + 1 for i, p in enumerate(problems))


def test_the_evaluator_and_the_lab_share_the_parser_and_its_error():
    assert tutor_eval.DatasetError is datasets.DatasetError
    assert tutor_eval.MathDialItem is datasets.MathDialItem
    from apps.lab.datasets import load_items

    with pytest.raises(DatasetError, match="cannot read file: there is no such file"):
        load_items("/nonexistent/x.jsonl", 1)


@pytest.mark.parametrize(("lines", "message"), [
    ([json.dumps(MATHDIAL), "{not json"], "line 2: not valid JSON"),
    ([json.dumps(MATHDIAL), "", '["a list"]'], "line 3: expected a JSON object, got list"),
    ([json.dumps({**MATHDIAL, "ground_truth": "no number"})], "line 1: ground_truth has no final number"),
    ([json.dumps({"question": "1+1?", "answer": "#### 2"}), json.dumps({"question": "x", "answer": "no"})],
     "line 2: no final answer in the worked solution"),
    ([json.dumps({"question": "1+1?"})], "line 1: missing or empty field(s) answer"),
    ([""], "the file has no records"),
])
def test_a_bad_file_is_one_error_that_names_the_line(tmp_path, lines, message):
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_problems(write(tmp_path, lines))


def test_lab_problems_need_no_persona_but_dialogues_do(tmp_path):
    path = write(tmp_path, [json.dumps({**MATHDIAL, "student_profile": ""})])
    (item,) = load_problems(path)
    assert (item.gold, item.profile) == ("12", "")
    with pytest.raises(DatasetError, match=r"line 1: missing or empty field\(s\) student_profile"):
        load_mathdial(path)
