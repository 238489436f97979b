"""The live monitor adds sessions started after it opened, and follows them."""

import json

import pytest
from asgiref.sync import sync_to_async

from apps.tutoring import services
from tests.sockets import connect, connect_path


async def frame_with(ws, needle: str) -> str:
    while needle not in (frame := await ws.receive_from(timeout=30)):
        pass
    return frame


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_session_started_after_the_monitor_opened_appears_and_streams(classroom, alice,
                                                                             problem):
    monitor = await connect_path(classroom.teacher, f"/ws/classrooms/{classroom.pk}/monitor/")
    await monitor.send_to(text_data=json.dumps({"type": "resume", "turns": {}}))
    assert await monitor.receive_nothing(timeout=0.5)  # no session yet

    session = await sync_to_async(services.start_session)(alice, problem)
    card = await frame_with(monitor, f'id="card-{session.pk}"')
    assert 'id="monitor-grid" hx-swap-oob="afterbegin"' in card

    page = await connect(alice, session.pk)
    await page.send_to(text_data=json.dumps({"type": "message", "text": "I got 17.",
                                             "client_id": "m-1"}))
    card = await frame_with(monitor, "I got 17.")
    assert f'id="card-{session.pk}"' in card and 'hx-swap-oob="outerHTML"' in card
    await page.disconnect()
    await monitor.disconnect()


@pytest.mark.django_db
def test_work_on_it_resumes_the_open_session(alice, problem):
    first = services.start_session(alice, problem)
    assert services.start_session(alice, problem) == first
    first.status = first.Status.SOLVED
    first.save()
    assert services.start_session(alice, problem) != first  # a solved one is not reopened
