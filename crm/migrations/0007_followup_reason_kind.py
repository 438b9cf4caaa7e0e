"""Follow-up reasons the system words are stored as a kind + parameters and rendered
in the reader's language. Existing survey call-back reasons, stored as finished text
in English or Chinese, are converted where their text can be read back."""
import re

from django.db import migrations, models

KIND = "surveys.callback"
TAIL = r"(?: (?P<comment>.*))?$"
PATTERNS = [
    re.compile(r"^Survey detractor: NPS (?P<nps>\d+)\. Call the customer back\." + TAIL, re.S),
    re.compile(r"^问卷贬损者[:：]\s*NPS (?P<nps>\d+) 分[,，]请回访客户。" + TAIL, re.S),
    re.compile(r"^Low satisfaction in a survey: (?P<score>\d+)/100\. Call the customer back\." + TAIL, re.S),
    re.compile(r"^问卷满意度偏低[:：]\s*(?P<score>\d+)/100[,，]请回访客户。" + TAIL, re.S),
]


def reason_params(text: str) -> dict | None:
    for pattern in PATTERNS:
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            return {"nps": int(groups["nps"]) if groups.get("nps") else None,
                    "score": int(groups["score"]) if groups.get("score") else None,
                    "comment": groups.get("comment") or ""}
    return None


def forwards(apps, schema_editor):
    FollowUp = apps.get_model("crm", "FollowUp")
    rows = FollowUp.objects.filter(source__in=["detractor", "low_satisfaction"], reason_kind="",
                                   origin__startswith="surveys.response:")
    for text in rows.values_list("reason", flat=True).distinct().iterator():
        params = reason_params(text)
        if params is not None:
            rows.filter(reason=text).update(reason_kind=KIND, reason_params=params)


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0006_phone_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='followup',
            name='reason_kind',
            field=models.CharField(blank=True, db_default='', default='', max_length=40),
        ),
        migrations.AddField(
            model_name='followup',
            name='reason_params',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
