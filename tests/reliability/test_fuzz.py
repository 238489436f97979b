"""Malformed input, generated: clear errors, no crashes, no partial writes."""

import json

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.problems.importers import ImportFileError, import_gsm8k
from apps.problems.models import Problem
from apps.tutoring.models import Turn, TutoringSession
from tests.sockets import connect

pytestmark = pytest.mark.django_db(transaction=True)
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10)
gsm8k_lines = st.one_of(
    st.text(max_size=80),
    json_values.map(json.dumps),
    st.fixed_dictionaries({"question": st.text(max_size=40), "answer": st.text(max_size=40)}).map(
        json.dumps),
)


@FUZZ
@given(lines=st.lists(gsm8k_lines, min_size=1, max_size=6))
def test_importer_either_imports_everything_or_nothing(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("fuzz") / "data.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    before = Problem.objects.count()
    try:
        result = import_gsm8k(path, source="fuzz")
    except ImportFileError as exc:
        assert str(exc)
        assert Problem.objects.count() == before
    else:
        assert Problem.objects.count() == before + result.created


frames = st.one_of(
    st.text(min_size=1, max_size=60),
    json_values.map(json.dumps),
    st.fixed_dictionaries({"type": st.sampled_from(["message", "resume", "other"]),
                           "text": json_values, "turns": json_values}).map(json.dumps),
)


@FUZZ
@given(sequence=st.lists(frames, min_size=1, max_size=5))
def test_socket_answers_every_frame_and_stays_open(alice, problem, sequence):
    session = TutoringSession.objects.create(student=alice, problem=problem)

    async def drive():
        ws = await connect(alice, session.pk)
        for frame in sequence:
            await ws.send_to(text_data=frame)
            data = json.loads(frame) if _is_json(frame) else None
            if isinstance(data, dict) and data.get("type") == "resume" and isinstance(
                    data.get("turns"), dict):
                continue  # a valid resume for turns that are not ours answers nothing
            reply = await ws.receive_from(timeout=5)
            assert 'id="chat-error"' in reply or 'id="turns"' in reply
        await ws.disconnect()

    async_to_sync(drive)()
    turns = list(Turn.objects.filter(session=session))
    assert len(turns) % 2 == 0, "a student turn was stored without its tutor turn"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
