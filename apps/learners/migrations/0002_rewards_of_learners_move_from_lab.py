"""The rewards of human learners move out of lab's agent memory (keys `learner/{pk}/{skill}`)."""

from django.db import migrations

PREFIX = "learner/"


def move_rewards(apps, schema_editor):
    RewardRecord = apps.get_model("lab", "RewardRecord")
    LearnerReward = apps.get_model("learners", "LearnerReward")
    User = apps.get_model("accounts", "User")
    rows = RewardRecord.objects.filter(key__startswith=PREFIX).order_by("id")
    users = set(User.objects.values_list("pk", flat=True))
    moved = []
    for row in rows:
        learner, _, skill = row.key[len(PREFIX):].partition("/")
        if learner.isdigit() and int(learner) in users and skill:
            moved.append(LearnerReward(learner_id=int(learner), skill=skill, score=row.score,
                                       lane=row.lane, source=row.source, rationale=row.rationale,
                                       created_at=row.created_at))
    stamps = [reward.created_at for reward in moved]
    LearnerReward.objects.bulk_create(moved)  # in id order, so each history keeps its order
    for reward, stamp in zip(moved, stamps, strict=True):  # auto_now_add replaced them
        reward.created_at = stamp
    LearnerReward.objects.bulk_update(moved, ["created_at"], batch_size=1000)
    rows.delete()


def move_back(apps, schema_editor):
    RewardRecord = apps.get_model("lab", "RewardRecord")
    LearnerReward = apps.get_model("learners", "LearnerReward")
    RewardRecord.objects.bulk_create(
        RewardRecord(key=f"{PREFIX}{r.learner_id}/{r.skill}", score=r.score, lane=r.lane,
                     source=r.source, rationale=r.rationale, created_at=r.created_at)
        for r in LearnerReward.objects.order_by("id"))
    LearnerReward.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("learners", "0001_learner_rewards"),
        ("lab", "0003_experiment_status_progress_from_job"),
    ]

    operations = [migrations.RunPython(move_rewards, move_back)]
