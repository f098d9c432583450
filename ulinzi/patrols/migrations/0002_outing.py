"""Team outings: each patrol (a request's visit) now belongs to the outing of the team that
makes it. Patrols recorded before had one team each, so each gets its own outing."""

import django.db.models.deletion
from django.db import migrations, models

# The planner's walking distance when these rows were migrated (planner.FOOT_KM): a patrol
# farther from its base than this needed a vehicle. A migration keeps its own copy.
FOOT_KM = 5.0


def one_outing_per_patrol(apps, schema_editor):
    Outing = apps.get_model("patrols", "Outing")
    Patrol = apps.get_model("patrols", "Patrol")
    for patrol in Patrol.objects.filter(outing__isnull=True).order_by("pk").iterator():
        outing = Outing.objects.create(
            base_id=patrol.base_id,
            plan_id=patrol.plan_id,
            day=patrol.day,
            shift=patrol.shift,
            by_vehicle=patrol.km > FOOT_KM,
        )
        Patrol.objects.filter(pk=patrol.pk).update(outing=outing, stop=0)


def back_to_patrols(apps, schema_editor):
    apps.get_model("patrols", "Patrol").objects.update(outing=None)
    apps.get_model("patrols", "Outing").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("patrols", "0001_initial"),
        ("places", "0002_gazetteer_state_token"),
    ]

    operations = [
        migrations.CreateModel(
            name="Outing",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(db_index=True, verbose_name="day")),
                ("shift", models.CharField(choices=[("day", "day"), ("night", "night")], max_length=5, verbose_name="shift")),
                ("by_vehicle", models.BooleanField(default=False, verbose_name="by vehicle")),
                ("km", models.FloatField(blank=True, null=True, verbose_name="route (km)")),
                ("hours", models.FloatField(blank=True, null=True, verbose_name="hours out")),
                ("base", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="outings", to="places.base")),
                ("plan", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="outings", to="patrols.weeklyplan")),
            ],
            options={
                "ordering": ["day", "shift", "base", "pk"],
            },
        ),
        migrations.AddField(
            model_name="patrol",
            name="outing",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="patrols", to="patrols.outing"),
        ),
        migrations.AddField(
            model_name="patrol",
            name="stop",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="stop"),
        ),
        migrations.RunPython(one_outing_per_patrol, back_to_patrols),
    ]
