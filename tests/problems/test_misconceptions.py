"""The misconception catalogue: importers, admin, the app's detector, summaries and the eval command."""

import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from agents.eval.misconception_eval import split_of
from agents.graphs.detection import NoDetector
from agents.graphs.misconception import GraphMisconceptionDetector
from apps.problems.detections import Detection
from apps.problems.detector import get_detector
from apps.problems.importers import (
    ImportFileError,
    import_cogtutor_categories,
    import_mathdial_confusions,
    import_misconception_jsonl,
)
from apps.problems.models import Misconception
from apps.problems.selectors import summarise_detections
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CATEGORIES = settings.DATA_DIR / "cogtutorbugs" / "categories.json"
ENTRY = {"key": "frac:add-denominators", "name": "Adds denominators",
         "description": "Adds fractions by adding tops and bottoms.", "source": "teacher notes",
         "licence": "CC BY 4.0", "skill": "fractions", "example_wrong_work": "1/2 + 1/3 = 2/5"}


def write_json(tmp_path, content, name="catalogue.json"):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_cogtutorbugs_categories_import_with_source_licence_and_example_and_update_in_place():
    result = import_cogtutor_categories(CATEGORIES)
    assert (result.created, result.existing) == (19, 0)
    entry = Misconception.objects.get(key="cogtutor:FORGOT_NEGATIVE")
    assert entry.name == "Forgot negative" and entry.licence == "CC BY 4.0"
    assert "CogTutorBugs" in entry.source and entry.skill == "linear equations"
    assert entry.example_wrong_work.startswith("Equation: -10y=4\n")
    assert "<expression>" not in entry.description and "…" in Misconception.objects.get(
        key="cogtutor:DIVIDE_TO_SIMPLIFY").description
    again = import_cogtutor_categories(CATEGORIES)
    assert (again.created, again.existing) == (0, 19) and Misconception.objects.count() == 19


@pytest.mark.parametrize(("content", "message"), [
    ("[{", "line 1: not valid JSON"),
    ({"name": "X"}, "non-empty JSON array"),
    ([{"name": "A", "feedback_templates": ["t"], "example": {"eq1": "x=1", "action": "ADD_SIDE",
                                                             "Input": "1", "eq2": "x+1=2"}},
      {"name": "B", "feedback_templates": []}], "entry 2: `feedback_templates` must be a non-empty"),
    ([{"name": "A", "feedback_templates": ["t"], "example": {"eq1": "x=1"}}],
     "entry 1: `example` needs string fields"),
    ([{"label": 3}], "entry 1: `name` is missing"),
])
def test_a_categories_file_with_the_wrong_schema_names_the_entry_and_imports_nothing(
        tmp_path, content, message):
    with pytest.raises(ImportFileError, match=message):
        import_cogtutor_categories(write_json(tmp_path, content))
    assert not Misconception.objects.exists()


def test_jsonl_catalogue_imports_and_a_bad_line_imports_nothing(tmp_path):
    good = write_json(tmp_path, json.dumps(ENTRY) + "\n", "good.jsonl")
    assert import_misconception_jsonl(good).created == 1
    assert Misconception.objects.get().example_wrong_work == "1/2 + 1/3 = 2/5"
    second = {**ENTRY, "key": "frac:other"}
    for bad, message in [({k: v for k, v in ENTRY.items() if k != "licence"}, "line 2: `licence`"),
                         ({**second, "colour": "red"}, "line 2: unknown field"),
                         ({**second, "skill": 3}, "line 2: `skill` must be text")]:
        path = write_json(tmp_path, json.dumps(second) + "\n" + json.dumps(bad) + "\n", "bad.jsonl")
        with pytest.raises(ImportFileError, match=message):
            import_misconception_jsonl(path)
    dupes = write_json(tmp_path, json.dumps(second) + "\n" + json.dumps(second) + "\n", "dupes.jsonl")
    with pytest.raises(ImportFileError, match="duplicate key"):
        import_misconception_jsonl(dupes)
    assert list(Misconception.objects.values_list("key", flat=True)) == ["frac:add-denominators"]


def test_import_command_reports_counts_and_errors(tmp_path, capsys):
    call_command("import_misconceptions", str(CATEGORIES))
    assert "imported 19 new misconceptions" in capsys.readouterr().out
    with pytest.raises(CommandError, match="catalogue.json: entry 1: `name` is missing"):
        call_command("import_misconceptions", str(write_json(tmp_path, [{}])))


def test_admins_add_and_edit_entries_and_teachers_cannot(client):
    admin = make_user("root", "admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.post("/admin/problems/misconception/add/", {**ENTRY})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = Misconception.objects.get(key=ENTRY["key"])
    response = client.post(f"/admin/problems/misconception/{entry.pk}/change/",
                           {**ENTRY, "name": "Adds the denominators"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.name == "Adds the denominators"
    client.force_login(make_user("teacher", "teacher"))
    assert client.get("/admin/problems/misconception/add/").status_code == 302  # to the login page


def test_the_apps_detector_is_off_without_a_catalogue_then_cached_until_the_catalogue_changes(
        django_assert_num_queries):
    assert isinstance(get_detector(), NoDetector)
    import_cogtutor_categories(CATEGORIES)
    detector = get_detector()
    assert isinstance(detector, GraphMisconceptionDetector) and len(detector.index.entries) == 19
    with django_assert_num_queries(1):  # the catalogue version only; no re-embedding
        assert get_detector() is detector
    Misconception.objects.filter(key="cogtutor:CHECK_SIGN").update(name="Check the sign")
    Misconception.objects.filter(key="cogtutor:FORGOT_NEGATIVE").delete()
    rebuilt = get_detector()
    assert rebuilt is not detector and len(rebuilt.index.entries) == 18
    with override_settings(MISCONCEPTION_METHOD="retrieval"):
        found = get_detector().detect("Solve -10y=4 for y.", "",
                                      "Equation: -10y=4\nStep: simplify\nResult: 10y=4")
        assert found and all(0 < d.score <= 1 for d in found)
    with override_settings(MISCONCEPTION_METHOD="nonsense"), pytest.raises(ValueError):
        get_detector()


def test_summarise_detections_counts_the_leading_misconception_of_each_turn():
    def d(key, score, evidence=""):
        return Detection(key=key, name=key.upper(), description="", score=score, evidence=evidence)

    turns = [[d("a", 0.4, "x"), d("b", 0.3)], [d("a", 0.9, "y")], [], None, [d("b", 0.5, "z")]]
    summary = summarise_detections(turns)
    assert [(s.key, s.turns, s.best_score, s.evidence) for s in summary] == [
        ("a", 2, 0.9, "y"), ("b", 1, 0.5, "z")]
    assert [s.turns for s in summarise_detections(turns, top=2)] == [2, 2]


def bugs_file(tmp_path, n=40):
    records = [{"eq1": f"{n}x=-{n + 1}", "action": "DIV_SIDE", "Input": str(-n), "eq2":
                f"{n}x/-{n}=-{n + 1}/-{n}", "Label Name": "DIVIDE_NEGATIVE_BETTER",
                "Feedback": "hidden"} for n in range(2, n + 2)]
    return write_json(tmp_path, records, "bugs.json"), records


def test_eval_command_reports_all_three_methods_on_the_same_held_out_items(tmp_path, capsys):
    import_cogtutor_categories(CATEGORIES)
    dataset, records = bugs_file(tmp_path)
    held_out = sum(split_of(r["eq1"]) == "test" for r in records)
    out = tmp_path / "report.json"
    call_command("misconception_eval", dataset=str(dataset), method="full", limit=50, out=str(out))
    report = json.loads(out.read_text())
    assert report["items"] == held_out > 0 and report["primary"] == "full"
    assert set(report["methods"]) == {"full", "retrieval", "llm"}
    for figures in report["methods"].values():
        assert figures["n"] == held_out and 0 <= figures["top1"] <= figures["top3"] <= 1
    # the scripted reply names no option: full falls back to retrieval, llm-only finds none
    assert report["methods"]["full"]["top3"] == report["methods"]["retrieval"]["top3"]
    assert report["methods"]["llm"]["none_rate"] == 1.0
    assert "top1=" in capsys.readouterr().out
    assert {p["label"] for p in report["predictions"]} == {"cogtutor:DIVIDE_NEGATIVE_BETTER"}


def test_eval_command_refuses_a_wrong_dataset_or_an_empty_catalogue(tmp_path):
    dataset, _ = bugs_file(tmp_path)
    with pytest.raises(CommandError, match="no CogTutorBugs entries"):
        call_command("misconception_eval", dataset=str(dataset), out=str(tmp_path / "r.json"))
    import_cogtutor_categories(CATEGORIES)
    wrong = write_json(tmp_path, [{"question": "q"}], "wrong.json")
    with pytest.raises(CommandError, match="record 1: `eq1` is missing"):
        call_command("misconception_eval", dataset=str(wrong), out=str(tmp_path / "r.json"))


def mathdial_row(confusion, solution="3 + 4 = 8"):
    return {"qid": 1, "question": "Tom has 3 apples and buys 4. How many?",
            "student_incorrect_solution": solution, "teacher_described_confusion": confusion}


def test_mathdial_confusions_are_clustered_into_named_entries_with_licence(tmp_path):
    confusions = ["subtracting instead of adding", "student subtracted when they should add",
                  "misread the question", "did not read the question properly", None, ""]
    path = write_json(tmp_path, "\n".join(json.dumps(mathdial_row(c)) for c in confusions),
                      "dev.jsonl")
    assert import_mathdial_confusions(path, clusters=2).created == 2
    entries = list(Misconception.objects.order_by("key"))
    assert [e.key for e in entries] == ["mathdial:confusion-01", "mathdial:confusion-02"]
    assert {e.licence for e in entries} == {"CC BY-SA 4.0"} and entries[0].skill == "word problems"
    names = {e.name.lower() for e in entries}
    assert any("subtract" in n for n in names) and any("read" in n for n in names)
    assert all(e.description.startswith("2 MathDial teachers") for e in entries)
    assert entries[0].example_wrong_work == "3 + 4 = 8"


def test_mathdial_rows_without_the_confusion_field_are_refused(tmp_path):
    rows = [mathdial_row("misread"), {k: v for k, v in mathdial_row("x").items()
                                      if k != "teacher_described_confusion"}]
    path = write_json(tmp_path, "\n".join(json.dumps(r) for r in rows), "dev.jsonl")
    with pytest.raises(ImportFileError, match="line 2: `teacher_described_confusion` is missing"):
        import_mathdial_confusions(path, clusters=1)
    too_few = write_json(tmp_path, json.dumps(mathdial_row("misread")), "one.jsonl")
    with pytest.raises(ImportFileError, match="cannot make 2 clusters"):
        import_mathdial_confusions(too_few, clusters=2)
    assert not Misconception.objects.exists()
