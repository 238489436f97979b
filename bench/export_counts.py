"""Record counts per export format on one small dataset made by the real producers, with checks
of what the rows say; run on two checkouts to compare them on the same data.

The data: live tutor turns through `tutoring.services` (scripted engine; candidate pairs, some
equal up to spacing), thumbs from students and the teacher, pairwise and step labels through
`annotation.services`, `tutor_eval` with the baseline and the TutorGraph tutor, an ATLAS run and
a LeaP run with the lab tests' scripted engines. Every format is then exported through
`exports.services` and loaded with `datasets.load_dataset`.

    .venv/bin/python bench/export_counts.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

FORMATS = ["sft", "openai_chat", "dpo", "openai_preference", "kto", "prm"]
BENCH_DB = "tutorgraph_bench_export_counts"


def build(tmp: Path) -> dict:
    from django.conf import settings
    from django.core.management import call_command

    from agents.llm import ScriptedEngine
    from apps.accounts.models import Classroom, Enrolment, School, User
    from apps.annotation import services as annotation
    from apps.annotation.schema_spec import DEFAULT_SCHEMAS
    from apps.lab import services as lab
    from apps.problems.models import Problem
    from apps.tutoring import services as tutoring
    from apps.tutoring.models import TutoringSession
    from tests.agents.test_leap import PROBLEM, WRONG, solver
    from tests.conftest import DATA
    from tests.lab.conftest import ATLAS_PROBLEMS, scripted_engines, write_gsm8k

    admin = User.objects.create_user("root", password="x", role="admin")
    teacher = User.objects.create_user("whartley", password="x", role="teacher", first_name="Will",
                                       last_name="Hartley")
    school = School.objects.create(name="Bench School")
    room = Classroom.objects.create(school=school, name="7A", teacher=teacher, collect_candidate_pairs=True)
    students = [User.objects.create_user(u, password="x", role="student", first_name=f, last_name=last)
                for u, f, last in (("zoe_m", "Zoë", "Müller"), ("Liam_Chen", "Liam", "Chen"),
                                   ("mokafor", "Maya", "Okafor"))]
    for student in students:
        Enrolment.objects.create(classroom=room, student=student)
    problem = Problem.objects.create(
        statement="A bird builds a nest with 12 twigs and has 5. How many twigs will the bird still need?",
        gold_answer="7", solution="12 - 5 = 7\n#### 7", source="bench", source_key="twigs")
    # (student message, shown reply, second candidate or None)
    scripts = [
        [("I think 17, Zoe Mueller here", "Why did you add 12 and 5?", "Why did you add  12 and 5? "),
         ("12 + 5 = 17?", "How many twigs will the bird still need?", "What does the bird have already?"),
         ("12 - 5 = 7", "Well done. Why does subtracting work?", None)],
        [("Liam_Chen: is it 60?", "What did you multiply?", "What did you multiply?"),
         ("12 - 5 then", "Good. What do you get?", None)],
        [("Mayas answer is 8", "How did Maya get 8?", "Can you check 12 - 5 again?"),
         ("oh 7", "Great. Can you explain it to Will?", None)],
    ]
    sessions = []
    for student, script in zip(students, scripts, strict=True):
        session = TutoringSession.objects.create(student=student, problem=problem, classroom=room)
        sessions.append(session)
        for said, shown, other in script:
            settings.CANDIDATE_PAIR_SHARE = 1.0 if other is not None else 0.0
            engine = ScriptedEngine([shown] + ([other] if other is not None else []))
            with mock.patch.object(tutoring, "get_llm", lambda engine=engine: engine):
                _, turn = tutoring.post_student_message(session, said)
                tutoring.run_turn(turn.pk)
    for session in sessions:
        for index, turn in enumerate(session.turns.filter(author="tutor", status="done").order_by("index")):
            annotation.record_feedback(turn, session.student, "up" if index % 2 == 0 else "down")
            if index == 0:
                annotation.record_feedback(turn, teacher, "down")
    raters = [User.objects.create_user(f"rater{i}", password="x", role="annotator") for i in (1, 2)]

    def queue(kind, target, name):
        schema = annotation.save_schema_version(kind, DEFAULT_SCHEMAS[kind])
        return annotation.create_queue(name=name, schema=schema, target=target, filter={},
                                       annotators=raters, created_by=admin, lead=admin, n_per_item=2)

    for source in ("baseline", "tutorgraph"):
        path = tmp / f"mathdial-{source}.jsonl"
        with open(DATA / "mathdial" / "dev.jsonl") as dev:
            path.write_text("".join(next(dev) for _ in range(2)))
        call_command("tutor_eval", "--dataset", str(path), "--engine", "scripted", "--tutor", source,
                     "--k-max", "3", "--inline", "--out", str(tmp / f"report-{source}.json"), verbosity=0)
    atlas = lab.create_experiment("atlas", {
        "dataset": write_gsm8k(tmp / "gsm8k.jsonl", ATLAS_PROBLEMS), "limit": 6, "student_engine": "scripted",
        "teacher_engine": "scripted", "max_attempts": 2, "student_tokens": 64, "teacher_tokens": 64})
    lab.run_inline(atlas, engines=scripted_engines)
    row = {"qid": 1, "question": PROBLEM, "ground_truth": "3 + 4 + 5 = 12\n 12",
           "student_incorrect_solution": WRONG + "Then 8 + 5 = 13.\n 13"}
    leap_path = tmp / "leap.jsonl"
    leap_path.write_text(json.dumps(row) + "\n")
    leap = lab.create_experiment("leap", {
        "paths": 3, "every": 8, "top_k": 1, "router": "dispersed", "rounds": 3, "summary_tokens": 16,
        "answer_tokens": 4, "engine": "scripted", "dataset": str(leap_path), "limit": 1, "trap_paths": 1})
    lab.run_inline(leap, engines=lambda name: ScriptedEngine(solver))

    pairs = queue("pairwise-preference", "pair", "pairs")
    steps = queue("reasoning-steps", "run", "steps")
    for rater in raters:
        for q, value in ((pairs, lambda item: {"preference": "A", "comment": ""}),
                         (steps, lambda item: {"steps": [1] * (len(item.payload["steps"]) - 1) + [-1],
                                               "comment": ""})):
            for _ in range(q.items.count()):
                held = annotation.reserve_next(q, rater)
                annotation.submit_label(held.pk, rater, value(held.item))
    return {"admin": admin, "tutor_turns": sum(s.turns.filter(author="tutor").count() for s in sessions),
            "pair_items": pairs.items.count(), "step_items": steps.items.count()}


def engine_systems() -> set[str]:
    from apps.traces.models import LLMCall

    return {m[0]["content"] for m in LLMCall.objects.exclude(messages=None).values_list("messages", flat=True)
            if m and m[0].get("role") == "system"}


def measure(admin, fmt: str, tmp: Path, **filters) -> dict:
    import datasets

    from apps.exports import services
    from apps.exports.filters import ExportFilters

    request = services.request_export(admin, format_name=fmt, file_type="jsonl",
                                      filters=ExportFilters(validation_fraction=0.2, **filters),
                                      enqueue=False)
    done = services.run_export(request.pk)
    out = {"status": done.status, "error": done.error, "counts": done.counts,
           "warnings": done.manifest.get("warnings"), "load_with": done.manifest.get("load_with")}
    files = {f["split"]: str(Path(done.directory) / f["name"]) for f in done.manifest.get("files", [])}
    rows = []
    if files:
        loaded = datasets.load_dataset("json", data_files=files, cache_dir=str(tmp / "hf"))
        rows = [r for split in loaded for r in loaded[split]]
    out["rows"] = len(rows)
    out["checks"] = checks(fmt, rows)
    return out


def checks(fmt: str, rows: list[dict]) -> dict:
    """What the rows say, the same questions asked of either checkout."""
    text = json.dumps(rows, ensure_ascii=False)
    leaks = {name: text.count(name) for name in ("Zoe Mueller", "Liam_Chen", "Mayas", "Maya ")}
    out = {"names_left": {k: v for k, v in leaks.items() if v},
           "twigs_scrubbed_as_name": text.count("twigs [name]") + text.count("[name] the bird")}
    systems = engine_systems()
    if fmt in ("sft", "openai_chat"):
        firsts = [r["messages"][0] for r in rows if r["messages"]]
        out["system_as_engine_saw"] = sum(m["role"] == "system" and m["content"] in systems for m in firsts)
    if fmt == "dpo":
        out["chosen_equals_rejected"] = sum(" ".join(r["chosen"][0]["content"].split())
                                            == " ".join(r["rejected"][0]["content"].split()) for r in rows)
        out["multi_turn_prompts"] = sum(sum(m["role"] == "user" for m in r["prompt"]) > 1 for r in rows)
    if fmt == "openai_preference":
        out["multi_turn_inputs"] = sum(sum(m["role"] == "user" for m in r["input"]["messages"]) > 1
                                       for r in rows)
    if fmt == "kto":
        out["distinct_prompts_completions"] = len({json.dumps([r["prompt"], r["completion"]]) for r in rows})
    if fmt == "prm":
        steps = [s for r in rows for s in r["completions"]]
        out["json_steps"] = sum(s.lstrip().startswith("{") for s in steps)
        out["teacher_steps"] = sum("Check whether you should" in s for s in steps)
        out["raw_prompt_steps"] = sum(s.startswith(("System:", "User:")) for s in steps)
        out["rows_with_2+_final_answers"] = sum(
            sum("final answer" in s.lower() for s in r["completions"]) > 1 for r in rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    import bench.common as common

    common.DB_NAME = BENCH_DB
    common.ENV["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
    setup_django(REDIS_URL="redis://127.0.0.1:6379/6", CHANNELS_PREFIX="tg-i18-bench")
    from django.core.management import call_command

    call_command("flush", "--no-input", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        from django.conf import settings

        settings.EXPORTS_ROOT = tmp / "exports"
        made = build(tmp)
        admin = made.pop("admin")
        results = {"made": made, "formats": {fmt: measure(admin, fmt, tmp) for fmt in FORMATS}}
        evaluation = ("evaluation",)
        for name, filters in (
                ("sft engine=scripted (evaluation)", {"sources": evaluation, "engine": "scripted"}),
                ("sft model=scripted (evaluation)", {"sources": evaluation, "model": "scripted"}),
                ("sft engine=vllm", {"engine": "vllm"})):
            results["formats"][name] = measure(admin, "sft", tmp, **filters)
        try:
            from apps.exports.filters import ExportFilters
            from apps.exports.services import check_exportable

            check_exportable("openai_chat", "parquet", ExportFilters())
            results["openai_chat_parquet"] = "accepted"
        except Exception as exc:  # noqa: BLE001 - either outcome is the figure
            results["openai_chat_parquet"] = f"refused: {exc}"
    print(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
