"""Consent withdrawn, end to end with the real producers: turns and candidate pairs come from the
socket and a real worker, labels from the annotation services, the withdrawal from the teacher's
settings page. Afterwards the learner is in no queue source, no new pair, no judge input and no
export; their unlabelled items left the queues and their reserved slot is no longer handed out."""

import asyncio
import json
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from django.urls import reverse

from apps.accounts.selectors import shares_data
from apps.annotation import item_sources, services
from apps.annotation.judging import judge_queue
from apps.annotation.models import CandidatePair
from apps.annotation.schema_spec import DEFAULT_SCHEMAS
from apps.annotation.services import save_schema_version
from apps.exports import services as exports
from apps.exports.filters import ExportFilters
from apps.traces.models import Run
from apps.tutoring.models import Turn, TutoringSession
from config.stack import stop_process
from tests.conftest import make_user, start_worker
from tests.sockets import connect, frames_until_final

pytestmark = [pytest.mark.asyncio, pytest.mark.worker]
# Every call of the worker's scripted engine answers differently, so a shown reply and its
# candidate differ (an export drops a pair whose two replies are the same).
REPLIES = [f"Question {n}: what did you do with the bags first?" for n in range(1, 40)]


@pytest.fixture
def worker(transactional_db):
    proc = start_worker(LLM_SCRIPTED_REPLIES=json.dumps(REPLIES))
    yield proc
    stop_process(proc)


async def say(student, session, text: str) -> Turn:
    """The student sends a message on the session's socket; returns the finished tutor turn."""
    ws = await connect(student, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": text}))
    await ws.receive_from(timeout=60)
    tutor = await Turn.objects.filter(session=session, author="tutor").order_by("-index").afirst()
    await frames_until_final(ws, tutor.pk)
    await ws.disconnect()
    return tutor


async def pairs_of(student, at_least: int) -> list[CandidatePair]:
    """The student's candidate pairs, once the worker has recorded `at_least` of them (it records
    the pair after the shown reply is finished)."""
    while True:
        pairs = [p async for p in CandidatePair.objects.filter(turn__session__student=student)
                 .order_by("id")]
        if len(pairs) >= at_least:
            return pairs
        await asyncio.sleep(0.2)


@sync_to_async
def make_queues(classroom):
    admin = make_user("root", "admin")
    ann, ben = make_user("ann", "annotator"), make_user("ben", "annotator")
    pairwise = save_schema_version("pairwise-preference", DEFAULT_SCHEMAS["pairwise-preference"])
    pairs = services.create_queue(name="pairs", schema=pairwise, target="pair", filter={},
                                  annotators=[ann, ben], created_by=admin, n_per_item=1)
    return admin, ann, ben, pairs


@sync_to_async
def export_text(admin, fmt: str, tmp_path: Path) -> str:
    export = exports.request_export(admin, format_name=fmt, file_type="jsonl",
                                    filters=ExportFilters(validation_fraction=0),
                                    directory=tmp_path / fmt, enqueue=False)
    export = exports.run_export(export.pk)
    assert export.status == "done", export.error
    return "".join((Path(export.directory) / name).read_text() for name in export.files)


async def test_withdrawn_learner_leaves_every_queue_source_pair_judge_input_and_export(
        worker, classroom, alice, bob, problem, tmp_path, settings):
    classroom.collect_candidate_pairs = True
    await classroom.asave()
    admin, ann, ben, pairs_queue = await make_queues(classroom)
    bob_session = await TutoringSession.objects.acreate(student=bob, problem=problem,
                                                        classroom=classroom)
    alice_session = await TutoringSession.objects.acreate(student=alice, problem=problem,
                                                          classroom=classroom)
    await say(bob, bob_session, "My guess is 24 apples.")
    await pairs_of(bob, 1)
    await say(bob, bob_session, "Then 25 apples.")
    bob_first, bob_second = await pairs_of(bob, 2)
    await say(alice, alice_session, "I counted 17 apples.")
    [alice_pair] = await pairs_of(alice, 1)
    schema = await sync_to_async(save_schema_version)("tutor-turn", DEFAULT_SCHEMAS["tutor-turn"])
    turns_queue = await sync_to_async(services.create_queue)(
        name="turns", schema=schema,
        target="turn", filter={}, annotators=[ann], created_by=admin, n_per_item=1)
    assert await turns_queue.items.acount() == 3  # bob's two tutor turns and alice's one

    # ann labels bob's first pair (decided: an export would use it); ben holds bob's second
    held = await sync_to_async(services.reserve_next)(pairs_queue, ann)
    assert held.item.key == f"pair:{bob_first.pk}"
    await sync_to_async(services.submit_label)(held.pk, ann, {"preference": "A", "comment": ""})
    reserved = await sync_to_async(services.reserve_next)(pairs_queue, ben)
    assert reserved.item.key == f"pair:{bob_second.pk}"

    teacher = AsyncClient()
    await teacher.aforce_login(classroom.teacher)
    saved = await teacher.post(reverse("classroom_settings", args=[classroom.pk]), {
        "telling_budget_turn": "5", "allowed_problem_sources": "", "collect_candidate_pairs": "on",
        f"consent-{alice.pk}": "on"})  # bob's box unticked: he withdraws
    assert saved.status_code == 302
    assert not await sync_to_async(shares_data)(bob)

    # queue sources
    turn_keys = {key async for key in turns_queue.items.values_list("key", flat=True)}
    alice_turns = {f"turn:{t.pk}" async for t in Turn.objects.filter(session=alice_session,
                                                                       author="tutor")}
    assert turn_keys == alice_turns  # bob's unlabelled items left the queue
    sources = await sync_to_async(lambda: {
        target: [key for key, _, _ in item_sources.SOURCES[target]({})]
        for target in item_sources.SOURCES})()
    assert set(sources["turn"]) == alice_turns
    assert sources["pair"] == [f"pair:{alice_pair.pk}"]

    # his unlabelled pair left the queue with ben's reservation of it; the page says so
    assert not await pairs_queue.items.filter(key=f"pair:{bob_second.pk}").aexists()
    desk = AsyncClient()
    await desk.aforce_login(ben)
    late = await desk.post(reverse("annotation_label", args=[reserved.pk]),
                           {"preference": "B", "comment": "", "queue": pairs_queue.pk})
    assert "withdrawn from the queue" in late.content.decode()
    again = await sync_to_async(services.reserve_next)(pairs_queue, ben)
    assert again.item.key == f"pair:{alice_pair.pk}"
    await sync_to_async(services.submit_label)(again.pk, ben, {"preference": "B", "comment": ""})

    # no new candidate pair: bob's turn runs before alice's on the one worker, pair step included
    await say(bob, bob_session, "Maybe 26 apples?")
    await say(alice, alice_session, "Or 18?")
    await pairs_of(alice, 2)
    assert await CandidatePair.objects.filter(turn__session__student=bob).acount() == 2

    # the LLM judge sees only alice's items
    await sync_to_async(judge_queue)(pairs_queue.pk)
    judged = {item_id async for item_id in Run.objects.filter(name="llm_judge")
              .values_list("subject_id", flat=True)}
    alice_items = {pk async for pk in pairs_queue.items.filter(learner=alice).values_list("pk", flat=True)}
    assert judged == {int(pk) for pk in alice_items} and judged

    # exports: his dialogue and his labelled pair are left out, hers are in
    settings.EXPORTS_ROOT = tmp_path
    sft = await export_text(admin, "sft", tmp_path)
    assert "I counted 17 apples." in sft and "apples." in sft
    assert not any(said in sft for said in ("24 apples", "25 apples", "26 apples"))
    dpo = await export_text(admin, "dpo", tmp_path)
    assert "I counted 17 apples." in dpo
    assert not any(said in dpo for said in ("24 apples", "25 apples", "26 apples"))
    assert dpo.count('{"prompt":') == 1  # alice's pair; bob's labelled pair is left out
