"""Ship seed 001 template 2 (客户满意度调查表, simplified) as the default survey."""
from django.db import migrations
from django.utils import timezone

from surveys.defaults import QUESTIONS  # one list for the migration and survey_default_ensure


def forwards(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    Question = apps.get_model("surveys", "Question")
    if Survey.objects.filter(code="default_satisfaction").exists():
        return
    survey = Survey.objects.create(
        code="default_satisfaction", name_zh="客户满意度调查表", name_en="Customer satisfaction survey",
        intro_zh="感谢您抽出时间填写本问卷(约需 5 分钟)。您的反馈将帮助我们改进产品与服务。",
        intro_en="Thank you for taking the time to answer (about 5 minutes). Your feedback helps us improve.",
        is_default=True, is_active=True, created_at=timezone.now(),
    )
    Question.objects.bulk_create([
        Question(survey=survey, position=i, kind=kind, dimension=dim, text_zh=zh, text_en=en,
                 help_zh=hzh, help_en=hen, required=req)
        for i, (kind, dim, zh, en, hzh, hen, req) in enumerate(QUESTIONS, start=1)
    ])


def backwards(apps, schema_editor):
    apps.get_model("surveys", "Survey").objects.filter(code="default_satisfaction").delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
