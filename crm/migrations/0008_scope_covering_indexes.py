# Index-only reads of who a customer belongs to and of the open follow-ups' customers.
#
# A team lead's follow-up queue (and its capped count) reads open follow-ups in due order
# and checks each one's customer against the lead's scope (team or owner): one heap page
# of crm_followup and one of the wide crm_customer (encrypted personal fields) per
# follow-up read. At a million customers those pages no longer stay in memory, which is
# why the lead's page grew with the table (bench/README.md, "Pages"). With
#   crm_customer_scope (id) INCLUDE (team_id, owner_id)
#   crm_followup_open_due (due_at, id) INCLUDE (customer_id) WHERE done_at IS NULL
# both reads are index-only (EXPLAIN: tests/test_query_plans.py).
#
# PostgreSQL only, and not in the models' Meta, because SQLite has no INCLUDE: on
# PostgreSQL crm_followup_open_due is re-created under its name with the INCLUDE column
# (the model's state keeps the key columns, which are unchanged).
from django.db import migrations

SCOPE = "CREATE INDEX IF NOT EXISTS crm_customer_scope ON crm_customer (id) INCLUDE (team_id, owner_id)"
OPEN_DUE = ("CREATE INDEX {name} ON crm_followup (due_at, id){include} WHERE done_at IS NULL")


def covering_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SCOPE)
    schema_editor.execute("DROP INDEX IF EXISTS crm_followup_open_due")
    schema_editor.execute(OPEN_DUE.format(name="crm_followup_open_due", include=" INCLUDE (customer_id)"))
    for table in ("crm_customer", "crm_followup"):
        schema_editor.execute(f"ANALYZE {table}")


def covering_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS crm_customer_scope")
    schema_editor.execute("DROP INDEX IF EXISTS crm_followup_open_due")
    schema_editor.execute(OPEN_DUE.format(name="crm_followup_open_due", include=""))


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0007_followup_reason_kind"),
    ]

    operations = [
        migrations.RunPython(covering_create, covering_drop),
    ]
