"""A student's wrong attempt, end to end with the real producers: the socket stores the turn, a
real worker runs the tutor graph with the app's detector over an imported catalogue, and the
teacher's heatmap, its cell and the learner page show what the detector found."""

import json
import re

import pytest
from django.test import AsyncClient
from django.urls import reverse

from apps.problems.importers import import_misconception_jsonl
from apps.tutoring.models import Turn, TutoringSession
from config.stack import stop_process
from tests.conftest import start_worker
from tests.sockets import connect, frames_until_final

pytestmark = [pytest.mark.asyncio, pytest.mark.worker]

CATALOGUE = [
    {"key": "demo:adds-instead-of-multiplying", "name": "Adds instead of multiplying",
     "description": "Adds the number of groups to the size of each group instead of multiplying: "
                    "3 bags of 6 apples gives 3 + 6 = 9.",
     "source": "test catalogue", "licence": "CC0"},
    {"key": "demo:ignores-units", "name": "Ignores units",
     "description": "Mixes hours and minutes, or metres and centimetres, without converting.",
     "source": "test catalogue", "licence": "CC0"},
]


@pytest.fixture
def catalogue(transactional_db, tmp_path):
    path = tmp_path / "catalogue.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in CATALOGUE) + "\n")
    import_misconception_jsonl(path)


@pytest.fixture
def retrieval_worker(catalogue):
    """A real worker whose detector retrieves from the catalogue (no LLM rerank to script)."""
    proc = start_worker(MISCONCEPTION_METHOD="retrieval")
    yield proc
    stop_process(proc)


async def test_wrong_attempt_is_detected_on_the_student_turn_and_shown_to_the_teacher(
        retrieval_worker, classroom, alice, problem):
    session = await TutoringSession.objects.acreate(student=alice, problem=problem,
                                                    classroom=classroom)
    ws = await connect(alice, session.pk)
    await ws.send_to(text_data=json.dumps({"type": "message",
                                           "text": "I added them: 3 + 6 = 9 apples."}))
    await ws.receive_from(timeout=60)
    tutor_turn = await Turn.objects.aget(session=session, author="tutor")
    await frames_until_final(ws, tutor_turn.pk)
    await ws.disconnect()

    student_turn = await Turn.objects.aget(session=session, author="student")
    await tutor_turn.arefresh_from_db()
    assert student_turn.is_correct is False
    assert student_turn.detections[0]["key"] == "demo:adds-instead-of-multiplying"
    assert tutor_turn.detections == []  # the detection describes the student's work, not the reply

    teacher = AsyncClient()
    await teacher.aforce_login(classroom.teacher)
    dashboard = (await teacher.get(reverse("classroom_dashboard", args=[classroom.pk]))).content.decode()
    row = re.search(r'data-misconception="demo:adds-instead-of-multiplying".*?</tr>', dashboard, re.S)
    assert row and "Adds instead of multiplying" in row.group(0)
    link = re.search(r'href="(/classrooms/\d+/heatmap/turns/\?[^"]+)">1</a>', row.group(0)).group(1)
    cell = (await teacher.get(link.replace("&amp;", "&"))).content.decode()
    assert f'id="cell-turn-{student_turn.pk}"' in cell and "3 + 6 = 9 apples" in cell

    learner_url = reverse("classroom_learner", args=[classroom.pk, alice.pk])
    assert f'href="{learner_url}"' in dashboard  # the name links to the learner page
    learner = (await teacher.get(learner_url)).content.decode()
    misconceptions = re.search(r'id="learner-misconceptions".*?</section>', learner, re.S).group(0)
    assert "Adds instead of multiplying" in misconceptions and "3 + 6" in misconceptions
    sessions = re.search(r'id="learner-sessions".*?</section>', learner, re.S).group(0)
    assert "I added them: 3 + 6 = 9 apples." in sessions and tutor_turn.text in sessions
