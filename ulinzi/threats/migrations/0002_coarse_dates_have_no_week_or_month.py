"""An event dated only to the month has no week, one dated only to the year (or more)
neither: the matrix no longer counts them in the first week or January."""

import datetime as dt

from django.db import migrations, models

COARSER_THAN_WEEK = ("month", "year", "longer")
COARSER_THAN_MONTH = ("year", "longer")


def forget_periods(apps, schema_editor):
    Event = apps.get_model("threats", "Event")
    Event.objects.filter(date_precision__in=COARSER_THAN_WEEK).update(week=None)
    Event.objects.filter(date_precision__in=COARSER_THAN_MONTH).update(month=None)


def restore_periods(apps, schema_editor):
    Event = apps.get_model("threats", "Event")
    for event in Event.objects.filter(models.Q(week=None) | models.Q(month=None)).iterator():
        day = event.date_start
        event.week = day - dt.timedelta(days=day.weekday())
        event.month = day.replace(day=1)
        event.save(update_fields=["week", "month"])


class Migration(migrations.Migration):
    dependencies = [
        ("threats", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="month",
            field=models.DateField(blank=True, null=True, verbose_name="month"),
        ),
        migrations.AlterField(
            model_name="event",
            name="week",
            field=models.DateField(blank=True, null=True, verbose_name="week (Monday)"),
        ),
        migrations.RunPython(forget_periods, restore_periods),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("week__isnull", True)),
                fields=["date_start"],
                name="event_coarse_date",
            ),
        ),
    ]
