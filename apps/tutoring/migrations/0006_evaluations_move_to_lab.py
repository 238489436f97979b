"""Tutor evaluations now belong to `lab`: the models leave tutoring's state, their tables stay.

`lab.0004_evaluations_from_tutoring` takes the same tables over (and renames them), so no row
is copied or lost.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tutoring', '0005_turn_reply_verdict'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='EvaluationDialogue'),
                migrations.DeleteModel(name='EvaluationRun'),
            ],
            database_operations=[],
        ),
    ]
