"""Default departments, routing (DESIGN "Tickets") and SLA policies per urgency.
Editable afterwards; supervisors are set by an admin."""
from django.db import migrations

DEPARTMENTS = [("technical", "Technical support"), ("after_sales", "After-sales service"), ("finance", "Finance")]
ROUTES = {
    "product": "technical",
    "technical": "technical",
    "service": "after_sales",
    "invoice": "finance",
    "billing": "finance",
    "complaint": "after_sales",
    "other": "after_sales",
}


def create_defaults(apps, schema_editor):
    Department = apps.get_model("tickets", "Department")
    RoutingRule = apps.get_model("tickets", "RoutingRule")
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    departments = {}
    for code, name in DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(code=code, defaults={"name": name})
    for category, code in ROUTES.items():
        RoutingRule.objects.get_or_create(category=category, defaults={"department": departments[code]})
    for urgency in ("normal", "urgent", "critical"):
        SlaPolicy.objects.get_or_create(urgency=urgency, tier="", defaults={
            "first_response_minutes": 10, "commitment_minutes": 120, "update_minutes": 24 * 60})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
