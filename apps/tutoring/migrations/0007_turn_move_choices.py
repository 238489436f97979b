from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tutoring", "0006_evaluations_move_to_lab"),
    ]

    operations = [
        migrations.AlterField(
            model_name="turn",
            name="move",
            field=models.CharField(blank=True, choices=[("focus", "Focus"), ("probing", "Probing"), ("telling", "Telling"), ("generic", "Generic")], max_length=16),
        ),
    ]
