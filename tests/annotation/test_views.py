"""Pages and endpoints: who may open what, and that the forms do what they say."""

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.annotation import services
from apps.annotation.models import AnnotationQueue, Assignment, Label, QueueItem
from apps.traces.models import LLMCall, Run, Span
from apps.tutoring.models import Turn, TutoringSession
from tests.annotation.conftest import make_queue
from tests.conftest import make_user


def client_for(client, user):
    client.force_login(user)
    return client


def test_annotator_sees_only_their_queues_and_cannot_open_another_queues_items(client, annotators):
    mine = make_queue(annotators[:2], name="mine")
    other = make_queue([annotators[2]], name="other", n_per_item=1)
    theirs = services.reserve_next(other, annotators[2])
    c = client_for(client, annotators[0])
    listing = c.get("/annotation/").content.decode()
    assert "mine" in listing and "other" not in listing
    assert c.get(f"/annotation/queues/{other.pk}/work/").status_code == 404
    assert c.post(f"/annotation/assignments/{theirs.pk}/label/",
                  {"correct": "Yes", "tone": "ok"}).status_code == 404
    assert c.post(f"/annotation/assignments/{theirs.pk}/skip/", {"reason": "x"}).status_code == 404
    assert c.get(f"/annotation/items/{theirs.item_id}/adjudicate/").status_code == 404
    assert c.get(f"/annotation/queues/{mine.pk}/agreement/").status_code == 403  # not the lead
    assert not Label.objects.exists()


def test_students_and_teachers_cannot_open_annotation_or_traces(client, classroom, alice):
    queue = make_queue([make_user("ann", "annotator")])
    for person in (alice, classroom.teacher):
        c = client_for(client, person)
        assert c.get("/traces/").status_code == 403
        assert c.get("/annotation/").status_code == 403
        assert c.get(f"/annotation/queues/{queue.pk}/work/").status_code == 403


def test_work_page_reserves_an_item_and_a_posted_label_brings_the_next(client, annotators):
    queue = make_queue(annotators[:2], n_items=2)
    c = client_for(client, annotators[0])
    page = c.get(f"/annotation/queues/{queue.pk}/work/").content.decode()
    held = Assignment.objects.get(annotator=annotators[0])
    assert "Reply 0" in page and "js/annotate.js" in page and "<script>" not in page
    response = c.post(f"/annotation/assignments/{held.pk}/label/",
                      {"correct": "Yes", "tone": "good", "comment": "ok"}, HTTP_HX_REQUEST="true")
    assert "Reply 1" in response.content.decode()
    assert Label.objects.get().value == {"correct": "Yes", "tone": "good", "comment": "ok"}
    bad = c.post(f"/annotation/assignments/{Assignment.objects.last().pk}/label/", {"correct": "Yes"},
                 HTTP_HX_REQUEST="true").content.decode()
    assert "Tone: choose one of bad, ok, good" in bad


def test_blind_work_page_does_not_show_the_other_label(client, annotators):
    for blind in (True, False):
        queue = make_queue(annotators[:2], name=f"q{blind}", blind=blind)
        first = services.reserve_next(queue, annotators[0])
        services.submit_label(first.pk, annotators[0], {"correct": "Yes", "tone": "ok",
                                                        "comment": "SECRET-NOTE"})
        page = client_for(client, annotators[1]).get(f"/annotation/queues/{queue.pk}/work/")
        assert ("SECRET-NOTE" in page.content.decode()) is (not blind)


def test_admin_creates_a_queue_from_a_filter_of_tutor_turns(client, problem, alice):
    session = TutoringSession.objects.create(student=alice, problem=problem)
    Turn.objects.create(session=session, index=0, author="student", text="I think 24")
    Turn.objects.create(session=session, index=1, author="tutor", text="How did you get 24?",
                        move="probing")
    Turn.objects.create(session=session, index=2, author="tutor", text="Try 3 bags of 6.", move="focus")
    admin = make_user("root", "admin")
    ann = [make_user(n, "annotator") for n in ("ann", "ben")]
    schema = services.save_schema_version("turns", [{"name": "ok", "kind": "categorical",
                                                     "label": "OK", "options": ["no", "yes"]}])
    c = client_for(client, admin)
    form = {"name": "probing turns", "schema": schema.pk, "target": "turn", "move": "probing",
            "limit": 10, "annotators": [a.pk for a in ann], "n_per_item": 2, "blind": "on",
            "threshold": 0, "reservation_minutes": 10}
    too_few = c.post("/annotation/queues/new/", {**form, "annotators": [ann[0].pk]})
    assert "choose at least 2 annotators" in too_few.content.decode()
    assert c.post("/annotation/queues/new/", form).status_code == 302
    item = AnnotationQueue.objects.get(name="probing turns").items.get()
    assert item.payload["reply"] == "How did you get 24?"
    assert item.payload["context"] == [{"author": "student", "text": "I think 24"}]


def test_agreement_page_shows_table_and_plot_to_admins(client, annotators):
    queue = make_queue(annotators[:2], n_items=1)
    for person in annotators[:2]:
        a = services.reserve_next(queue, person)
        services.submit_label(a.pk, person, {"correct": "Yes", "tone": "ok"})
    page = client_for(client, make_user("root", "admin")).get(
        f"/annotation/queues/{queue.pk}/agreement/").content.decode()
    assert 'id="agreement-table"' in page and "<svg" in page and "user:ben" in page


def test_lead_adjudicates_through_the_page(client, annotators):
    queue = make_queue(annotators[:2], lead=annotators[2])
    for person, v in zip(annotators[:2], ("Yes", "No"), strict=True):
        a = services.reserve_next(queue, person)
        services.submit_label(a.pk, person, {"correct": v, "tone": "ok"})
    item = queue.items.get()
    url = f"/annotation/items/{item.pk}/adjudicate/"
    assert client_for(client, annotators[0]).get(url).status_code == 403
    c = client_for(client, annotators[2])
    assert "user:ben" in c.get(f"/annotation/items/{item.pk}/adjudicate/").content.decode()
    c.post(f"/annotation/items/{item.pk}/adjudicate/", {"correct": "No", "tone": "bad", "note": "n"})
    assert QueueItem.objects.get(pk=item.pk).adjudication.label.value["correct"] == "No"


def tutor_turn(session):
    Turn.objects.create(session=session, index=0, author="student", text="24")
    return Turn.objects.create(session=session, index=1, author="tutor", text="Why 24?")


def test_thumbs_feedback_only_from_the_student_owner_or_their_teacher(client, classroom, alice, bob,
                                                                     problem):
    session = TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)
    turn = tutor_turn(session)
    url = f"/feedback/turns/{turn.pk}/"
    assert client_for(client, bob).post(url, {"thumbs": "up"}).status_code == 404
    assert client_for(client, make_user("ann", "annotator")).post(url, {"thumbs": "up"}).status_code == 403
    assert "Thanks" in client_for(client, alice).post(url, {"thumbs": "down", "comment": "too vague"}
                                                      ).content.decode()
    client_for(client, alice).post(url, {"thumbs": "up"})  # changing one's mind replaces the rating
    client_for(client, classroom.teacher).post(url, {"thumbs": "up", "comment": "good probe"})
    feedback = {lb.rater: lb.value for lb in Label.objects.filter(kind="feedback", turn=turn)}
    assert feedback == {"user:alice": {"thumbs": "up", "comment": "", "role": "student"},
                        "user:teacher": {"thumbs": "up", "comment": "good probe", "role": "teacher"}}
    page = client_for(client, alice).get(f"/sessions/{session.pk}/").content.decode()
    assert f'hx-post="{url}"' in page


def test_the_session_page_shows_each_persons_own_thumbs_in_one_query_for_all_turns(
        client, classroom, alice, problem):
    session = TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)
    services.record_feedback(tutor_turn(session), alice, "down")
    assert "noted" not in client_for(client, classroom.teacher).get(
        f"/sessions/{session.pk}/").content.decode()  # the student's thumbs are hers
    c = client_for(client, alice)

    def session_page():
        with CaptureQueriesContext(connection) as queries:
            page = c.get(f"/sessions/{session.pk}/").content.decode()
        return page, len(queries)

    page, _ = session_page()
    assert page.count("👎 noted") == 1 and "👍 Helpful" not in page
    few = session_page()[1]
    for index in range(2, 12, 2):
        Turn.objects.create(session=session, index=index, author="student", text="24")
        services.record_feedback(Turn.objects.create(session=session, index=index + 1,
                                                     author="tutor", text="Why?"), alice, "up")
    page, many = session_page()
    assert page.count("👍 noted") == 5 and page.count("👎 noted") == 1 and many == few


def _run(text: str, *, source="tutoring", user=None, subject=None, engine="embedded") -> Run:
    now = timezone.now()
    run = Run.objects.create(source=source, name="tutor_turn", user=user, engine=engine, started_at=now,
                             ended_at=now, subject_id=subject.pk if subject else None,
                             thread=subject.session.trace_thread if subject else "",
                             subject_type=ContentType.objects.get_for_model(subject) if subject else None)
    span = Span.objects.create(run=run, position=0, name="respond", started_at=now, ended_at=now)
    LLMCall.objects.create(run=run, span=span, engine=engine, model="m", kind="chat",
                           messages=[{"role": "user", "content": "student says"}], completion=text)
    return run


def test_trace_list_filters_and_searches_completions(client, alice, problem):
    session = TutoringSession.objects.create(student=alice, problem=problem)
    turn = tutor_turn(session)
    fractions = _run("Let us compare the fractions first", user=alice, subject=turn)
    bags = _run("How many bags are there?", source="atlas", engine="vllm")
    c = client_for(client, make_user("root", "admin"))

    def listed(query):
        page = c.get(f"/traces/?{query}").content.decode()
        return {r.pk for r in (fractions, bags) if f'href="/traces/{r.pk}/"' in page}

    assert listed("") == {fractions.pk, bags.pk}
    assert listed("q=fraction") == {fractions.pk}  # stemmed: fraction matches fractions
    assert listed("q=bag") == {bags.pk}
    assert listed("source=atlas") == {bags.pk}
    assert listed("engine=embedded") == {fractions.pk}
    assert listed("user=alice") == {fractions.pk}
    assert listed(f"thread={session.trace_thread}") == {fractions.pk}
    assert listed("since=2999-01-01") == set()
    assert "since" in c.get("/traces/?since=notadate").content.decode()
    session_page = c.get(f"/sessions/{session.pk}/").content.decode()
    assert f"/traces/?thread={session.trace_thread}" in session_page
    assert f"/sessions/{session.pk}/" in c.get(f"/traces/{fractions.pk}/").content.decode()


def test_a_judge_the_broker_cannot_take_is_reported_not_a_500(client, transactional_db, broker_down):
    queue = make_queue([make_user("ann", "annotator")], n_items=1)  # committed, as in a live request
    response = client_for(client, make_user("root", "admin")).post(
        f"/annotation/queues/{queue.pk}/judge/", follow=True)
    assert response.status_code == 200
    assert "The job queue is unreachable" in response.content.decode()


def test_only_admins_create_queues(client, db):
    c = client_for(client, make_user("ann", "annotator"))
    assert c.get("/annotation/queues/new/").status_code == 403
    assert c.post("/annotation/queues/1/judge/").status_code == 403
