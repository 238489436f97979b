"""`EvaluationRun` is a `Job`: it gains progress and a start time (both filled in for the runs
already stored) and starts out queued."""

from django.db import migrations, models
from django.db.models import Count, F


def progress_from_dialogues(apps, schema_editor):
    """Runs made before the Job fields: progress is stored dialogues / total (1 once done); they
    started when they were made."""
    EvaluationRun = apps.get_model("lab", "EvaluationRun")
    EvaluationRun.objects.filter(status="done").update(progress=1.0)
    running = EvaluationRun.objects.filter(total__gt=0).exclude(status="done")
    for run in running.annotate(stored=Count("dialogues")):
        EvaluationRun.objects.filter(pk=run.pk).update(progress=min(run.stored / run.total, 1.0))
    EvaluationRun.objects.update(started_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('lab', '0004_evaluations_from_tutoring'),
    ]

    operations = [
        migrations.AddField(
            model_name='evaluationrun',
            name='progress',
            field=models.FloatField(default=0.0, help_text='0 to 1 while running.'),
        ),
        migrations.AddField(
            model_name='evaluationrun',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='evaluationrun',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=16),
        ),
        migrations.RunPython(progress_from_dialogues, migrations.RunPython.noop),
    ]
