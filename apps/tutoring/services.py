"""Write paths of tutoring: start a session, take a student's message, run the tutor's turn."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from agents.graphs.moves import DEFAULT_TELLING_BUDGET_TURN
from agents.graphs.tutor import check_answer, run_tutor_turn
from agents.llm import LLMError
from agents.llm.scripted import split_tokens
from agents.tracing import Tracer
from apps.engines import get_llm
from apps.jobs.queueing import enqueue_on_commit
from apps.learners.selectors import lane_for, scaffolding_for, skill_of
from apps.learners.services import record_reward
from apps.problems.detections import stored as stored_detections
from apps.problems.detector import get_detector
from apps.problems.models import Problem
from apps.traces.models import Run
from apps.traces.services import save_run
from apps.tutoring.checkpoints import thread_id, tutor_checkpointer
from apps.tutoring.models import Turn, TutoringSession
from apps.tutoring.signals import announce_tutor_turn_done
from apps.tutoring.streaming import TurnStream, publish_html, publish_to_group

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
RETRY_MESSAGE = "The tutor could not answer just now. Please send your message again."
TURN_TASK = "apps.tutoring.tasks.run_tutor_turn_task"


CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class TutoringError(ValueError):
    """A request a person can fix; the message says how."""


class TutorBusy(TutoringError):
    """The tutor is still answering; the page keeps the message and sends it after the reply."""


class RateLimited(TutoringError):
    """Too many messages this minute; the page keeps the message and tries again later."""


def start_session(student, problem: Problem) -> TutoringSession:
    """Open a session on a problem, in the student's classroom if they have one; a student who
    already has an open session on the problem gets that one back."""
    open_session = (TutoringSession.objects.filter(
        student=student, problem=problem, origin=TutoringSession.Origin.STUDENT,
        status=TutoringSession.Status.ACTIVE).order_by("-updated_at").first())
    if open_session is not None:
        return open_session
    classroom = student.classrooms.order_by("id").first()
    session = TutoringSession.objects.create(student=student, problem=problem,
                                             classroom=classroom)
    if classroom is not None:  # live monitors of the class add its card
        transaction.on_commit(lambda: publish_to_group(
            session.classroom_group_name, {"type": "session.started", "session_id": session.pk}))
    return session


def record_played_session(problem: Problem, turns: list[dict], *, solved: bool) -> TutoringSession:
    """Store a dialogue played outside a socket (a tutor evaluation) as a finished session.

    `turns` are the runner's dicts: speaker ("teacher" or the student), text and what the tutor
    graph derived (move, guard, detections, verdict).
    """
    session = TutoringSession.objects.create(
        problem=problem, origin=TutoringSession.Origin.EVALUATION,
        status=TutoringSession.Status.SOLVED if solved else TutoringSession.Status.CLOSED)
    now = timezone.now()
    Turn.objects.bulk_create(
        Turn(session=session, index=i, text=t["text"], completed_at=now,
             author=Turn.Author.TUTOR if t["speaker"] == "teacher" else Turn.Author.STUDENT,
             move=t.get("move", ""), guard=t.get("guard", []),
             detections=t.get("detections", []), verdict=t.get("verdict", {}))
        for i, t in enumerate(turns))
    return session


def validate_message(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise TutoringError("Write a message before sending.")
    text = text.strip()
    limit = settings.TUTOR_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise TutoringError(f"That message is {len(text)} characters; the limit is {limit}.")
    if "\x00" in text:
        raise TutoringError("That message contains a NUL character, which cannot be stored; "
                            "remove it and send again.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise TutoringError("That message contains an invalid character (a lone surrogate); "
                            "retype it and send again.") from None
    return text


def validate_client_id(client_id: object) -> str:
    """The page's id of a message ('' when it sent none)."""
    if client_id is None or client_id == "":
        return ""
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise TutoringError("client_id must be 1 to 64 letters, digits, '-' or '_'.")
    return client_id


def post_student_message(session: TutoringSession, text: object, client_id: object = "", *,
                         admit: Callable[[], bool] | None = None) -> tuple[Turn, Turn | None]:
    """Store the student's turn and a pending tutor turn, then queue the tutor's work.

    A message whose `client_id` is already stored is not stored again: the stored turns are
    returned (a page resending after a reconnect makes no duplicate). `admit` is asked, once
    the message is known to be new and answerable, whether it may cost an LLM call.
    While a teacher holds the session the tutor is paused: the student's turn is stored and
    shown, no tutor turn is made, and the second item is None; the tutor answers it when the
    teacher hands the session back.
    """
    text = validate_message(text)
    client_id = validate_client_id(client_id)
    with transaction.atomic():
        session = TutoringSession.objects.select_for_update().get(pk=session.pk)
        if client_id:
            stored = session.turns.filter(client_id=client_id, author=Turn.Author.STUDENT).first()
            if stored is not None:
                return stored, stored.replies.filter(author=Turn.Author.TUTOR).first()
        if session.status != TutoringSession.Status.ACTIVE:
            raise TutoringError("This session is closed.")
        paused = session.taken_over_by_id is not None
        if not paused:
            _fail_stale_turns(session)
            recover_stalled_turns(session.pk)
            if session.turns.filter(status__in=[Turn.Status.PENDING,
                                                Turn.Status.STREAMING]).exists():
                raise TutorBusy("The tutor is still answering your last message.")
        if admit is not None and not admit():
            raise RateLimited("You are sending messages too fast; wait a minute.")
        index = next_turn_index(session)
        student_turn = Turn.objects.create(session=session, index=index, text=text,
                                           author=Turn.Author.STUDENT, client_id=client_id,
                                           author_user_id=session.student_id)
        tutor_turn = None if paused else Turn.objects.create(
            session=session, index=index + 1, author=Turn.Author.TUTOR,
            status=Turn.Status.PENDING, reply_to=student_turn)
        session.save(update_fields=["updated_at"])
        # The page learns of the new turns before any token of the reply can reach it.
        publish_new_turns(session, [t for t in (student_turn, tutor_turn) if t is not None])
        if paused:  # the tutor waits, but the checker still reads the student's answer
            check_student_answer(session, student_turn)
        if tutor_turn is not None:
            _enqueue(tutor_turn)
    return student_turn, tutor_turn


def check_student_answer(session: TutoringSession, turn: Turn) -> Turn:
    """Check and record the answer a student types while a teacher holds the session (inside
    the caller's transaction): the answer and its correctness on the turn, the learner's
    reward, and a trace of the check. The tutor still waits; no reply is made."""
    tracer = Tracer()
    with tracer.span("assess", paused_by_takeover=True) as span:
        answer, correct = check_answer(turn.text, session.problem.gold_answer,
                                       session.problem.statement)
        span.attributes.update(student_answer=answer, student_correct=correct)
    turn.student_answer = answer or ""
    turn.is_correct = correct if answer is not None else None
    turn.save(update_fields=["student_answer", "is_correct"])
    if session.student and answer is not None:
        skill = skill_of(session.problem.skills)
        record_reward(session.student, skill, float(correct), lane_for(session.student, skill)[0],
                      rationale=f"checker on {answer!r} during a takeover", answer_turn_id=turn.pk)
    save_run(tracer, source=Run.Source.TUTORING, name="takeover_answer_check", subject=turn,
             user=session.student, thread=session.trace_thread)
    return turn


def reply_to_waiting_student(session: TutoringSession) -> Turn | None:
    """Queue a tutor turn for the student's last message if nobody answered it (a message
    sent during a takeover, once the teacher hands back). Call inside the session's row lock."""
    last = session.turns.order_by("-index").first()
    if (last is None or last.author != Turn.Author.STUDENT
            or session.status != TutoringSession.Status.ACTIVE
            or last.replies.filter(author=Turn.Author.TUTOR).exists()):
        return None
    tutor_turn = Turn.objects.create(session=session, index=last.index + 1,
                                     author=Turn.Author.TUTOR, status=Turn.Status.PENDING,
                                     reply_to=last)
    publish_new_turns(session, [tutor_turn])
    _enqueue(tutor_turn)
    return tutor_turn


def publish_new_turns(session: TutoringSession, turns: list[Turn]) -> None:
    """Show new turns on every page watching the session once the transaction commits."""
    html = render_to_string("tutoring/partials/_new_turns.html", {"turns": turns})
    transaction.on_commit(lambda: publish_html(session.group_name, html))


def next_turn_index(session: TutoringSession) -> int:
    """The index the session's next turn takes (call inside the session's row lock)."""
    last = session.turns.aggregate(m=Max("index"))["m"]
    return 0 if last is None else last + 1


def _enqueue(turn: Turn) -> None:
    """Queue the tutor's work once the transaction commits; a turn the broker cannot take is
    failed at once, so the student is asked to send again instead of waiting."""
    enqueue_on_commit(TURN_TASK, turn.pk, on_failure=lambda _exc: _fail_unqueued(turn))


def _fail_unqueued(turn: Turn) -> None:
    """A turn no worker will ever see: fail it and show every watching page the retry message."""
    Turn.objects.filter(pk=turn.pk, status=Turn.Status.PENDING).update(
        status=Turn.Status.FAILED, error=RETRY_MESSAGE, completed_at=timezone.now())
    turn.refresh_from_db()
    publish_html(turn.session.group_name, final_html(turn))


def _fail_stale_turns(session: TutoringSession) -> None:
    """A turn still unanswered long after a worker should have finished it is marked failed."""
    cutoff = timezone.now() - timedelta(seconds=settings.TUTOR_STALE_TURN_S)
    session.turns.filter(status__in=[Turn.Status.PENDING, Turn.Status.STREAMING],
                         created_at__lt=cutoff).update(
        status=Turn.Status.FAILED, error=RETRY_MESSAGE, completed_at=timezone.now())


def recover_stalled_turns(session_id: int) -> list[Turn]:
    """Turns whose worker died (its lease ran out) go back to the queue, or fail once out of
    attempts; every page watching sees which. Returns the turns it changed."""
    changed = []
    with transaction.atomic():
        stalled = list(Turn.objects.select_for_update(skip_locked=True).select_related("session")
                       .filter(session_id=session_id, status=Turn.Status.STREAMING,
                               lease_expires_at__lt=timezone.now()))
        for turn in stalled:
            log.warning("tutor turn %s: worker lease ran out (attempt %s)", turn.pk, turn.attempts)
            turn.lease_expires_at = None
            if turn.attempts >= MAX_ATTEMPTS:
                turn.status, turn.error, turn.completed_at = (
                    Turn.Status.FAILED, RETRY_MESSAGE, timezone.now())
            else:
                turn.status = Turn.Status.PENDING
            turn.save(update_fields=["status", "error", "completed_at", "lease_expires_at"])
            html = final_html(turn)
            transaction.on_commit(lambda t=turn, h=html: publish_html(t.session.group_name, h))
            if turn.status == Turn.Status.PENDING:  # queued after "pending" is shown, so a
                _enqueue(turn)                     # broker that refuses it shows "failed" last
            changed.append(turn)
    return changed


def _lease_deadline():
    return timezone.now() + timedelta(seconds=settings.TUTOR_LEASE_S)


def _claim(turn_id: int) -> Turn | None:
    """Mark a pending turn as streaming, leased to this worker; None when it is finished or
    another worker holds a live lease on it."""
    with transaction.atomic():
        turn = (Turn.objects.select_for_update(of=("self",)).select_related("session__problem", "reply_to")
                .filter(pk=turn_id).first())
        if turn is None or not turn.in_progress:
            return None
        if (turn.status == Turn.Status.STREAMING and turn.lease_expires_at
                and turn.lease_expires_at > timezone.now()):
            return None  # a redelivered task while the first worker still runs the turn
        turn.attempts += 1
        turn.status = Turn.Status.STREAMING
        turn.lease_expires_at = _lease_deadline()
        turn.save(update_fields=["attempts", "status", "lease_expires_at"])
        return turn


class _Lease:
    """Renews a claimed turn's lease from a thread while this worker runs it: a worker that dies
    whole stops renewing, and `recover_stalled_turns` sees the lease run out."""

    def __init__(self, turn: Turn) -> None:
        self.turn_id, self.attempt = turn.pk, turn.attempts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{turn.pk}", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _renew(self) -> None:
        try:
            while not self._stop.wait(settings.TUTOR_HEARTBEAT_S):
                Turn.objects.filter(pk=self.turn_id, attempts=self.attempt,
                                    status=Turn.Status.STREAMING).update(
                    lease_expires_at=_lease_deadline())
        except Exception:  # a renewal that fails lets the lease run out: the turn is retried
            log.exception("could not renew the lease of turn %s", self.turn_id)
        finally:
            connection.close()


def _still_ours(turn: Turn) -> bool:
    """Lock the turn; True while this attempt still owns it (the lease was not taken over)."""
    current = (Turn.objects.select_for_update().filter(pk=turn.pk)
               .values_list("status", "attempts").first())
    if current != (Turn.Status.STREAMING, turn.attempts):
        log.warning("tutor turn %s attempt %s lost its lease; its result is dropped",
                    turn.pk, turn.attempts)
        return False
    return True


def run_turn(turn_id: int) -> None:
    """Run the tutor graph for a pending tutor turn; idempotent, safe to run twice."""
    turn = _claim(turn_id)
    if turn is None:
        return
    with _Lease(turn):
        _run_claimed(turn)


def _run_claimed(turn: Turn) -> None:
    session = turn.session
    stream = TurnStream(session.pk, turn.pk)
    if turn.attempts > MAX_ATTEMPTS:
        _fail(turn, stream, Tracer(), "gave up after repeated worker failures")
        return
    if turn.attempts > 1:
        stream.publish("reset")
    history = list(session.turns.filter(index__lt=turn.reply_to.index, status=Turn.Status.DONE))
    state = {
        "problem": session.problem.statement,
        "gold_answer": session.problem.gold_answer,
        "gold_solution": session.problem.solution,
        "telling_budget_turn": (session.classroom.telling_budget_turn if session.classroom
                                else DEFAULT_TELLING_BUDGET_TURN),
        "dialogue": [{"role": "assistant" if t.author != Turn.Author.STUDENT else "user",
                      "content": t.text} for t in history],
        "student_message": turn.reply_to.text,
    }
    skill = skill_of(session.problem.skills)
    lane, lane_reason = lane_for(session.student, skill) if session.student else ("paired", "")
    state["scaffolding"] = scaffolding_for(lane)
    tracer = Tracer()
    llm = get_llm()

    def release(text: str) -> None:  # an engine token, or a whole sentence the guard passed
        words = split_tokens(text)
        for word in words:
            stream.token(word)
        if len(words) > 1:  # a released sentence: nothing follows until the next one is done
            stream.flush()

    def reset() -> None:  # the guard replaced the reply: clear what the page shows
        stream.flush()
        stream.publish("reset")

    try:
        # Tokens reach the stream only after the guard passed them (sentence holdback).
        result = run_tutor_turn(llm, state, tracer=tracer, on_token=release, on_reset=reset,
                                max_tokens=settings.TUTOR_REPLY_MAX_TOKENS,
                                detector=get_detector(), checkpointer=tutor_checkpointer(),
                                thread_id=thread_id(session.pk))
        if not result.get("reply"):
            raise LLMError("the engine returned an empty reply")
    except LLMError as exc:
        log.warning("tutor turn %s failed: %s", turn.pk, exc)
        _fail(turn, stream, tracer, str(exc))
        return
    with transaction.atomic():
        if not _still_ours(turn):
            return
        turn.text = result["reply"]
        turn.move = result.get("move", "")
        turn.guard = result.get("guard", [])
        turn.verdict = result.get("verdict", {})
        turn.status = Turn.Status.DONE
        turn.completed_at = timezone.now()
        turn.lease_expires_at = None
        turn.save(update_fields=["text", "move", "guard", "verdict", "status", "completed_at",
                                 "lease_expires_at"])
        # Detections describe the student's work: they are stored on the student's turn.
        Turn.objects.filter(pk=turn.reply_to_id).update(
            student_answer=result.get("student_answer") or "",
            is_correct=result.get("student_correct"),
            detections=stored_detections(result.get("detections")))
        if result.get("student_correct"):
            session.status = TutoringSession.Status.SOLVED
            session.save(update_fields=["status", "updated_at"])
            publish_solved(session)
        if session.student and result.get("student_answer") is not None:
            record_reward(session.student, skill, float(bool(result.get("student_correct"))), lane,
                          rationale=f"checker on {result['student_answer']!r}",
                          answer_turn_id=turn.reply_to_id)
        tracer.spans[0].attributes.update(lane=lane, lane_reason=lane_reason)
        save_run(tracer, source=Run.Source.TUTORING, name="tutor_turn", subject=turn,
                 user=session.student, engine=llm.engine, model=llm.model, thread=session.trace_thread)
    stream.finish("done", html=final_html(turn))
    announce_tutor_turn_done(turn, state)


def final_html(turn: Turn) -> str:
    """The stored form of a finished turn, rendered once for every page that watches it."""
    return render_to_string("tutoring/partials/_turn.html", {"turn": turn, "oob": True})


def publish_solved(session: TutoringSession) -> None:
    """Tell the student's page at once that the answer is right: the input closes and the next
    problem is offered (same partial as the page renders for a solved session)."""
    from apps.tutoring.selectors import next_problem_for

    html = render_to_string("tutoring/partials/_solved.html", {
        "session": session, "next_problem": next_problem_for(session.student, session),
        "oob": True})
    transaction.on_commit(lambda: publish_html(session.group_name, html))


def _fail(turn: Turn, stream: TurnStream, tracer: Tracer, reason: str) -> None:
    with transaction.atomic():
        if not _still_ours(turn):
            return
        turn.status = Turn.Status.FAILED
        turn.error = RETRY_MESSAGE
        turn.completed_at = timezone.now()
        turn.lease_expires_at = None
        turn.save(update_fields=["status", "error", "completed_at", "lease_expires_at"])
        save_run(tracer, source=Run.Source.TUTORING, name="tutor_turn", subject=turn,
                 user=turn.session.student, error=reason, thread=turn.session.trace_thread)
    stream.finish("failed", html=final_html(turn))
