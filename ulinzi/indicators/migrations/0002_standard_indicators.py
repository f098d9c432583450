"""The standard set of indicators every mission starts with (editable afterwards)."""

from django.db import migrations

from ulinzi.indicators.standard import STANDARD, create as create_standard


def create(apps, schema_editor):
    create_standard(apps.get_model("indicators", "Indicator"))


def remove(apps, schema_editor):
    apps.get_model("indicators", "Indicator").objects.filter(
        code__in=[row[0] for row in STANDARD]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
