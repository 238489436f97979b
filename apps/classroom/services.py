"""Write paths of the teacher's pages: a class's settings, its students' consent, alerts seen."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.audit import record
from apps.accounts.models import Classroom
from apps.annotation.services import withdraw_learner
from apps.classroom.models import AlertAcknowledgement
from apps.tutoring.models import TutoringSession

SETTINGS_FIELDS = ("telling_budget_turn", "allowed_problem_sources", "collect_candidate_pairs")


def update_settings(classroom: Classroom, actor, settings: dict,
                    consents: dict[int, bool]) -> dict:
    """Save the class's settings and per-student consent in one transaction, audited.

    Returns the changes as {name: [before, after]}; consent changes are keyed by student id.
    """
    with transaction.atomic():
        room = Classroom.objects.select_for_update().get(pk=classroom.pk)
        changes = {name: [getattr(room, name), settings[name]] for name in SETTINGS_FIELDS
                   if getattr(room, name) != settings[name]}
        for name, (_, after) in changes.items():
            setattr(room, name, after)
        if changes:
            room.save(update_fields=list(changes))
        consent_changes = {}
        for enrolment in room.enrolment_set.select_for_update():
            wanted = consents.get(enrolment.student_id, enrolment.data_sharing_consent)
            if wanted != enrolment.data_sharing_consent:
                consent_changes[str(enrolment.student_id)] = [enrolment.data_sharing_consent,
                                                              wanted]
                enrolment.data_sharing_consent = wanted
                enrolment.save(update_fields=["data_sharing_consent"])
                if not wanted:  # out of every annotation queue from now on
                    withdraw_learner(enrolment.student_id)
        if consent_changes:
            changes["data_sharing_consent"] = consent_changes
        if changes:
            record(actor, "classroom.settings", room, changes=changes)
    return changes


ALERT_KINDS = ("struggling", "misconception", "frustration")


def acknowledge_alert(classroom: Classroom, actor, session_id: int, kind: str,
                      subject: str = "") -> AlertAcknowledgement:
    """Mark an alert of a session of the class as seen; it returns when the student writes again."""
    if kind not in ALERT_KINDS:
        raise ValidationError(f"unknown alert kind {kind[:40]!r}; one of {', '.join(ALERT_KINDS)}")
    session = TutoringSession.objects.filter(pk=session_id, classroom=classroom).first()
    if session is None:
        raise ValidationError("that session is not a session of this class")
    ack, _ = AlertAcknowledgement.objects.update_or_create(
        session=session, kind=kind, subject=subject[:120], defaults={"acknowledged_by": actor})
    return ack
