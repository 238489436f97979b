"""Tutor evaluations move here from `tutoring`: the models enter lab's state over the existing
tables, which are then renamed to lab_*; rows, ids and foreign keys stay as they are."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("evaluationrun", "evaluationdialogue")


def move_content_types(apps, schema_editor, old="tutoring", new="lab"):
    """Keep permissions and admin history pointing at the moved models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=new, model__in=MODELS).values_list("model", flat=True))
    ContentType.objects.filter(app_label=old, model__in=set(MODELS) - taken).update(app_label=new)


def content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, old="lab", new="tutoring")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('lab', '0003_experiment_status_progress_from_job'),
        ('tutoring', '0006_evaluations_move_to_lab'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EvaluationRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('tutor', models.CharField(max_length=16)),
                        ('engine', models.CharField(max_length=40)),
                        ('model', models.CharField(blank=True, max_length=120)),
                        ('student_engine', models.CharField(max_length=40)),
                        ('dataset', models.CharField(max_length=500)),
                        ('params', models.JSONField(default=dict, help_text='k_max, limit, seed, lines, max_tokens…')),
                        ('status', models.CharField(choices=[('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='running', max_length=16)),
                        ('total', models.PositiveIntegerField(default=0)),
                        ('report', models.JSONField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at'],
                        'db_table': 'tutoring_evaluationrun',
                    },
                ),
                migrations.CreateModel(
                    name='EvaluationDialogue',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('line', models.PositiveIntegerField(help_text='Line of the dataset file.')),
                        ('qid', models.CharField(max_length=40)),
                        ('result', models.JSONField(help_text='s, t, success_at_k, telling_at_k of this dialogue.')),
                        ('error', models.TextField(blank=True)),
                        ('session', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='evaluation', to='tutoring.tutoringsession')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dialogues', to='lab.evaluationrun')),
                    ],
                    options={
                        'ordering': ['run', 'line'],
                        'db_table': 'tutoring_evaluationdialogue',
                        'constraints': [models.UniqueConstraint(fields=('run', 'line'), name='uniq_eval_line')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='evaluationrun', table=None),
        migrations.AlterModelTable(name='evaluationdialogue', table=None),
        migrations.RunPython(move_content_types, content_types_back),
    ]
