"""Page cost with 10,000 tutoring sessions: queries, latency, peak memory and size per page.

Seeds (once; later runs reuse it) two classes of 30 students in the bench database: one with
10,000 sessions (`--sessions`) and, as the baseline, one with 100 (`--baseline`). Each session
has four turns (a wrong answer with a detected misconception, the tutor's probe, a retry, the
tutor's reply) and a traced run per tutor turn (a root span, four nested node spans, one LLM
call). Then it requests each page of both classes through `django.test.Client` as the
teacher or an admin: the classroom dashboard, one heatmap cell, the live monitor, the trace
list of the class's runs (filtered by engine), the same with a full-text search, and one
trace's detail. Prints per page and class: queries, p50 / p95 ms over `--requests` requests,
the peak of memory allocated during one request (tracemalloc, the largest of three) and the
response size. DEBUG is off, as in production.

    .venv/bin/python bench/page_load.py [--requests 10] [--sessions 10000] [--baseline 100]
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

from common import percentile, setup_django

MARK = "bench-pages"
STUDENTS = 30
SKILLS = ["multiplication", "division", "fractions", "units"]
MISCONCEPTIONS = ["adds_instead_of_multiplying", "ignores_units", "divides_the_wrong_way",
                  "adds_denominators", "drops_the_remainder", "reads_the_question_wrong"]
SPANS = 5  # per run: a root and a chain of node spans under it


def detection(key: str, score: float) -> dict:
    return {"key": key, "name": key.replace("_", " "), "description": f"The student {key}.",
            "score": score, "evidence": "3 + 6 = 9"}


def seed(sessions: int):
    """The class with `sessions` sessions, created (in one transaction) if it is not there."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from apps.accounts.models import Classroom, Enrolment, School, User
    from apps.learners.models import LearnerReward
    from apps.problems.models import Problem
    from apps.traces.models import LLMCall, Run, Span
    from apps.tutoring.models import Turn, TutoringSession

    school, _ = School.objects.get_or_create(name=MARK)
    teacher, _ = User.objects.get_or_create(username=f"{MARK}-teacher", defaults={"role": "teacher"})
    User.objects.get_or_create(username=f"{MARK}-admin", defaults={"role": "admin"})
    name = f"{sessions} sessions"
    if room := Classroom.objects.filter(school=school, name=name).first():
        return room
    started = time.perf_counter()
    with transaction.atomic():
        room = Classroom.objects.create(school=school, name=name, teacher=teacher)
        students = User.objects.bulk_create(User(username=f"{MARK}-{sessions}-s{i:02}", password="!")
                                            for i in range(STUDENTS))
        Enrolment.objects.bulk_create(Enrolment(classroom=room, student=s) for s in students)
        problems = [Problem.objects.get_or_create(source=MARK, source_key=str(i), defaults={
            "statement": f"{i + 2} bags of 6 apples. How many apples?", "gold_answer": str(6 * i + 12),
            "solution": f"{i + 2}*6={6 * i + 12}", "skills": [SKILLS[i % 4], SKILLS[(i + 1) % 4]]})[0]
            for i in range(12)]
        LearnerReward.objects.bulk_create(
            LearnerReward(learner=s, skill=skill, score=(i + j) % 3 / 2, lane="paired")
            for i, s in enumerate(students) for j, skill in enumerate(SKILLS) for _ in range(3))
        rows = TutoringSession.objects.bulk_create(
            (TutoringSession(student=students[i % STUDENTS], problem=problems[i % len(problems)],
                             classroom=room, status="solved" if i % 3 == 0 else "active")
             for i in range(sessions)), batch_size=2000)
        turns = Turn.objects.bulk_create((t for i, s in enumerate(rows) for t in (
            Turn(session=s, index=0, author="student", author_user=s.student, text="3 + 6 = 9",
                 is_correct=False, detections=[detection(MISCONCEPTIONS[i % 6], 0.9),
                                               detection(MISCONCEPTIONS[(i + 1) % 6], 0.4)]),
            Turn(session=s, index=1, author="tutor", text="How many bags are there?", move="probing"),
            Turn(session=s, index=2, author="student", author_user=s.student, text="3 times 6?",
                 is_correct=s.status == "solved", detections=[] if i % 2 else [
                     detection(MISCONCEPTIONS[i % 5], 0.7)]),
            Turn(session=s, index=3, author="tutor", text="Yes: what is 3 times 6?", move="focus"),
        )), batch_size=4000)
        turn_type = ContentType.objects.get_for_model(Turn)
        runs = Run.objects.bulk_create((
            Run(source=Run.Source.TUTORING, name="tutor_turn", user_id=t.session.student_id,
                engine=f"{MARK}-{sessions}", model="smollm2", subject_type=turn_type,
                subject_id=t.pk, started_at=t.created_at, ended_at=t.created_at,
                prompt_tokens=180, completion_tokens=12)
            for t in turns if t.author == "tutor"), batch_size=4000)
        parents = Span.objects.bulk_create((
            Span(run=r, position=0, name="tutor_turn", started_at=r.started_at,
                 ended_at=r.ended_at, attributes={"turn": r.subject_id}) for r in runs),
            batch_size=4000)
        for depth in range(1, SPANS):
            parents = Span.objects.bulk_create((
                Span(run_id=p.run_id, parent=p, position=depth, name=f"node-{depth}",
                     started_at=p.started_at, ended_at=p.ended_at,
                     attributes={"depth": depth, "summary": "x" * 80}) for p in parents),
                batch_size=4000)
        LLMCall.objects.bulk_create((
            LLMCall(run_id=p.run_id, span=p, engine=f"{MARK}-{sessions}", model="smollm2",
                    kind="chat", messages=[
                        {"role": "system", "content": "You are a patient maths tutor. " * 8},
                        {"role": "user", "content": "I got 9 because 3 + 6 = 9."}],
                    completion=f"How many bags are there? (bench class {sessions})",
                    prompt_tokens=180, completion_tokens=12, latency_ms=300)
            for p in parents), batch_size=4000)
    print(f"seeded the class with {sessions:,} sessions ({len(turns):,} turns, {len(runs):,} "
          f"runs, {len(runs) * SPANS:,} spans) in {time.perf_counter() - started:.0f} s")
    return room


def pages(room) -> dict[str, tuple[str, str]]:
    """(role, url) of each page measured, for one class."""
    from django.urls import reverse

    from apps.traces.models import Run

    student = room.students.order_by("username").first()
    engine = f"{MARK}-{room.name.split()[0]}"
    run = Run.objects.filter(engine=engine).order_by("pk").first()
    return {
        "dashboard": ("teacher", reverse("classroom_dashboard", args=[room.pk])),
        "heatmap cell": ("teacher", reverse("heatmap_cell", args=[room.pk])
                         + f"?misconception={MISCONCEPTIONS[0]}&student={student.pk}"),
        "monitor": ("teacher", reverse("classroom_monitor", args=[room.pk])),
        "trace list": ("admin", f"{reverse('trace_list')}?engine={engine}"),
        "trace list, search": ("admin", f"{reverse('trace_list')}?engine={engine}"
                               f"&q=bags+{room.name.split()[0]}"),
        "trace detail": ("admin", reverse("trace_detail", args=[run.pk])),
    }


def measure(client, url: str, requests: int) -> tuple[int, float, float, int, int]:
    """(queries, p50 ms, p95 ms, peak bytes allocated in a request, response bytes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # read now: the next request clears the connection's query log
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    peaks = []
    tracemalloc.start()
    for _ in range(3):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        client.get(url)
        peaks.append(tracemalloc.get_traced_memory()[1] - before)
    tracemalloc.stop()
    return (count, percentile(times, 50), percentile(times, 95), max(peaks),
            len(response.content))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10, help="timed requests per page")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=100, help="sessions of the baseline class")
    args = parser.parse_args()
    setup_django(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="bench", DJANGO_ALLOWED_HOSTS="testserver")
    from django.test import Client

    from apps.accounts.models import User
    from apps.traces.models import Run

    rooms = [seed(args.baseline), seed(args.sessions)]
    clients = {role: Client() for role in ("teacher", "admin")}
    for role, client in clients.items():
        client.force_login(User.objects.get(username=f"{MARK}-{role}"))
    print(f"{Run.objects.count():,} runs in the database; {args.requests} timed requests per page; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'page':<19} {'sessions':>8} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'peak alloc':>10} {'response':>10}")
    urls = [(room.sessions.count(), pages(room)) for room in rooms]
    for name in urls[0][1]:
        for sessions, of_room in urls:
            role, url = of_room[name]
            queries, p50, p95, peak, size = measure(clients[role], url, args.requests)
            print(f"{name:<19} {sessions:>8,} {queries:>7} {p50:>8.1f} {p95:>8.1f} "
                  f"{peak / 1e6:>8.2f} MB {size / 1e3:>7.1f} kB")


if __name__ == "__main__":
    main()
