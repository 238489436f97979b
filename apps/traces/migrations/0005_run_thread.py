"""Runs get a thread, the producer's grouping key; runs traced for a tutoring turn are put in
their session's thread ("tutoring-session:<id>"), which the trace list filters on."""

from django.db import migrations, models
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat


def threads_of_tutoring_runs(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    run = apps.get_model("traces", "Run")
    turn = apps.get_model("tutoring", "Turn")
    turn_type = content_type.objects.filter(app_label="tutoring", model="turn").first()
    if turn_type is None:
        return
    session_of = Subquery(turn.objects.filter(pk=OuterRef("subject_id")).values("session_id")[:1])
    run.objects.filter(subject_type=turn_type, subject_id__in=turn.objects.values("pk")).update(
        thread=Concat(Value("tutoring-session:"), Cast(session_of, CharField())))


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("traces", "0004_llmcall_stored_search"),
        ("tutoring", "0005_turn_reply_verdict"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="thread",
            field=models.CharField(blank=True, default="", max_length=64, help_text='What the producer groups runs by, e.g. "tutoring-session:12" (see traces.threads).'),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="run",
            index=models.Index(fields=["thread", "-started_at"], name="traces_run_thread_started"),
        ),
        migrations.RunPython(threads_of_tutoring_runs, migrations.RunPython.noop),
    ]
