# The theme dictionary's defaults (feedback.defaults: the seed documents' problem
# types), global entries every team's texts are matched against; editable.
from django.db import migrations
from django.utils import timezone


def add(apps, schema_editor):
    from feedback.defaults import DEFAULT_THEMES

    ThemeEntry = apps.get_model("feedback", "ThemeEntry")
    now = timezone.now()
    for name_zh, name_en, keywords_zh, keywords_en in DEFAULT_THEMES:
        ThemeEntry.objects.get_or_create(team=None, name_zh=name_zh, defaults={
            "name_en": name_en, "keywords_zh": keywords_zh, "keywords_en": keywords_en, "updated_at": now})


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
