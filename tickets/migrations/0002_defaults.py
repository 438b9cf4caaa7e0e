"""Default departments, routing (DESIGN "Tickets") and SLA policies per urgency.
Editable afterwards; supervisors are set by an admin or team lead."""
from django.db import migrations

from tickets.defaults import create_defaults


def forwards(apps, schema_editor):
    create_defaults(Department=apps.get_model("tickets", "Department"),
                    RoutingRule=apps.get_model("tickets", "RoutingRule"),
                    SlaPolicy=apps.get_model("tickets", "SlaPolicy"))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
