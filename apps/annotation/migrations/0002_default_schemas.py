from django.db import migrations


def add_defaults(apps, schema_editor):
    from apps.annotation.schema_spec import DEFAULT_SCHEMAS

    schema = apps.get_model("annotation", "AnnotationSchema")
    for name, fields in DEFAULT_SCHEMAS.items():
        schema.objects.get_or_create(name=name, version=1, defaults={"fields": fields})


class Migration(migrations.Migration):
    dependencies = [("annotation", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
