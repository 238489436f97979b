"""The teacher's pages, settings (validated, audited), login throttling, audited role changes."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import AuditEvent, Enrolment, User
from apps.tutoring.models import Turn
from tests.classroom.factories import detection, dialogue
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher_client(classroom):
    client = Client()
    client.force_login(classroom.teacher)
    return client


def test_dashboard_shows_stats_and_a_heatmap_linking_to_the_turns(teacher_client, classroom,
                                                                  alice, bob, problem):
    dialogue(alice, problem, classroom, [
        ("student", "3 + 6 = 9", {"detections": [detection("adds")]}),
        ("tutor", "It is 18", {"move": "telling"}),
        ("student", "so 9?", {"detections": [detection("adds")]})])
    page = teacher_client.get(reverse("classroom_dashboard", args=[classroom.pk])).content.decode()
    row = re.search(rf'id="student-{alice.pk}".*?</tr>', page, re.S).group(0)
    assert '<td class="tried">1</td>' in row and '<td class="tellings">1</td>' in row
    link = re.search(r'href="(/classrooms/\d+/heatmap/turns/\?[^"]+)">2</a>', page).group(1)
    cell = teacher_client.get(link.replace("&amp;", "&")).content.decode()
    assert cell.count('id="cell-turn-') == 2 and "so 9?" in cell and "adds description" in cell
    bad = teacher_client.get(reverse("classroom_dashboard", args=[classroom.pk]),
                             {"since": "2026-02-01", "until": "2026-01-01"})
    assert "must not be after its end" in bad.content.decode()


def test_heatmap_cell_of_a_student_outside_the_class_is_404(teacher_client, classroom):
    outsider = make_user("outsider")
    url = reverse("heatmap_cell", args=[classroom.pk])
    assert teacher_client.get(url, {"misconception": "adds", "student": outsider.pk}).status_code == 404
    assert teacher_client.get(url, {"misconception": "adds", "student": "x"}).status_code == 404


def test_settings_save_validate_and_audit(teacher_client, classroom, alice, bob, problem):
    url = reverse("classroom_settings", args=[classroom.pk])
    bad = teacher_client.post(url, {"telling_budget_turn": "0", "allowed_problem_sources": "nope/"})
    text = bad.content.decode()
    assert "between 1 and 50" in text and "No problem set starts with nope/" in text
    assert "gsm8k/test" in text  # the message names the sets that exist
    classroom.refresh_from_db()
    assert classroom.telling_budget_turn == 5

    response = teacher_client.post(url, {"telling_budget_turn": "3",
                                         "allowed_problem_sources": "gsm8k\n gsm8k \n",
                                         "collect_candidate_pairs": "on",
                                         f"consent-{alice.pk}": "on"})
    assert response.status_code == 302
    classroom.refresh_from_db()
    assert (classroom.telling_budget_turn, classroom.allowed_problem_sources,
            classroom.collect_candidate_pairs) == (3, ["gsm8k"], True)
    consent = dict(Enrolment.objects.filter(classroom=classroom)
                   .values_list("student__username", "data_sharing_consent"))
    assert consent == {"alice": True, "bob": False}
    event = AuditEvent.objects.get(action="classroom.settings")
    assert event.actor == classroom.teacher and event.target_id == str(classroom.pk)
    assert event.details["changes"]["telling_budget_turn"] == [5, 3]
    assert event.details["changes"]["data_sharing_consent"] == {str(bob.pk): [True, False]}
    assert "Saved (4 changes)" in teacher_client.get(url).content.decode()


def test_login_is_throttled_after_repeated_failures(classroom, settings):
    settings.LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        page = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
        assert "Please enter a correct username and password" in page.content.decode()
    blocked = client.post(reverse("login"), {"username": "Alice", "password": "alice-pw"})
    assert "Too many failed log-ins" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    other = Client()  # another username from the same address is not blocked
    assert other.post(reverse("login"), {"username": "bob", "password": "bob-pw"}).status_code == 302


def test_a_role_change_in_the_admin_is_audited(classroom, alice):
    root = User.objects.create_superuser("root", password="root-pw")
    client = Client()
    client.force_login(root)
    form = client.get(reverse("admin:accounts_user_change", args=[alice.pk])).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password",
                                                                                 "groups",
                                                                                 "user_permissions")}
    data.update(role="teacher", date_joined_0="2026-01-01", date_joined_1="10:00:00",
                last_login_0="", last_login_1="")
    response = client.post(reverse("admin:accounts_user_change", args=[alice.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    alice.refresh_from_db()
    assert alice.role == "teacher"
    event = AuditEvent.objects.get(action="user.role_change")
    assert (event.actor, event.target_id, event.details) == (
        root, str(alice.pk), {"before": "student", "after": "teacher"})


def test_alerts_page_acknowledges_an_alert_until_the_student_writes_again(teacher_client, classroom,
                                                                          alice, problem):
    session = dialogue(alice, problem, classroom, [
        ("student", "This is stupid, I give up", {"is_correct": False}),
        ("tutor", "Let's look at one bag.", {"move": "focus"})])
    url = reverse("classroom_alerts", args=[classroom.pk])
    page = teacher_client.get(url).content.decode()
    assert f'id="alerts-session-{session.pk}"' in page and "said: stupid, give up" in page
    assert reverse("classroom_learner", args=[classroom.pk, alice.pk]) in page
    done = teacher_client.post(reverse("classroom_alert_acknowledge", args=[classroom.pk]),
                               {"session": session.pk, "kind": "frustration"})
    assert done.status_code == 302
    page = teacher_client.get(url).content.decode()
    assert f'id="alerts-session-{session.pk}"' not in page and "seen by teacher" in page
    Turn.objects.create(session=session, index=2, author="student", author_user=alice,
                        text="ugh, no idea")
    assert f'id="alerts-session-{session.pk}"' in teacher_client.get(url).content.decode()
    bad = teacher_client.post(reverse("classroom_alert_acknowledge", args=[classroom.pk]),
                              {"session": session.pk, "kind": "bored"}, follow=True)
    assert "unknown alert kind" in bad.content.decode()
