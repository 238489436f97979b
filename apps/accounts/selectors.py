"""Reads of accounts that other apps decide on: whose data may be shared."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Enrolment


def withdrawn_learner_ids() -> QuerySet:
    """Ids of students who withdrew data-sharing consent in ANY classroom (a subquery).

    One withdrawal is enough: their work is left out of every annotation queue source,
    candidate pairs, the LLM judge and exports, whichever class the work was done in.
    """
    return (Enrolment.objects.filter(data_sharing_consent=False)
            .values_list("student_id", flat=True).distinct())


def shares_data(learner) -> bool:
    """Whether a learner's work may be annotated, judged and exported (None: no learner, yes)."""
    learner_id = getattr(learner, "pk", learner)
    return learner_id is None or not withdrawn_learner_ids().filter(student_id=learner_id).exists()
