"""Every patrol has its outing (0002 gave each existing one its own). A migration of its
own: PostgreSQL refuses to alter a table with the foreign-key checks of 0002's updates
still pending in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("patrols", "0002_outing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patrol",
            name="outing",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="patrols", to="patrols.outing"),
        ),
    ]
