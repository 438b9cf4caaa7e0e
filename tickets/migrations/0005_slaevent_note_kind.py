"""SLA event notes the system words are stored as a kind + parameters and rendered in
the reader's language. Existing notes, stored as finished text in English or Chinese,
are converted (all three wordings the app ever wrote can be read back)."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models

FIXED = {"tickets.sla.public_reply": ["public reply", "公开回复"], "tickets.sla.reopened": ["reopened", "重新打开"]}
RECORDED = re.compile(r"^(?:recorded at|记录于) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$")


def forwards(apps, schema_editor):
    SlaEvent = apps.get_model("tickets", "SlaEvent")
    for kind, texts in FIXED.items():
        SlaEvent.objects.filter(note_kind="", note__in=texts).update(note_kind=kind, note_params={})
    recorded = SlaEvent.objects.filter(note_kind="", note__regex=r"^(recorded at|记录于) ")
    zone = ZoneInfo(settings.TIME_ZONE)  # the notes were written in local time
    for text in recorded.values_list("note", flat=True).distinct().iterator():
        match = RECORDED.match(text)
        if match:
            at = dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
            recorded.filter(note=text).update(note_kind="tickets.sla.recorded", note_params={"at": at.isoformat()})


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0004_sla_timer'),
    ]

    operations = [
        migrations.AddField(
            model_name='slaevent',
            name='note_kind',
            field=models.CharField(blank=True, db_default='', default='', max_length=40),
        ),
        migrations.AddField(
            model_name='slaevent',
            name='note_params',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
