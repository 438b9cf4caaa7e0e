import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Keeps customersegment.owner_id / team_id equal to the customer's whatever writes
# the customer (services, imports, the admin, bulk UPDATEs): one trigger in the
# database instead of a hook in every write path. The recompute's table swap does
# not touch it (it lives on crm_customer and names the segment table at run time).
PG_TRIGGER = """
CREATE OR REPLACE FUNCTION segment_owner_team_sync() RETURNS trigger AS $$
BEGIN
    UPDATE segmentation_customersegment SET owner_id = NEW.owner_id, team_id = NEW.team_id
    WHERE customer_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER segment_owner_team_sync AFTER UPDATE OF owner_id, team_id ON crm_customer
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.team_id IS DISTINCT FROM NEW.team_id)
    EXECUTE FUNCTION segment_owner_team_sync();
"""
PG_TRIGGER_DROP = """
DROP TRIGGER IF EXISTS segment_owner_team_sync ON crm_customer;
DROP FUNCTION IF EXISTS segment_owner_team_sync();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER segment_owner_team_sync AFTER UPDATE OF owner_id, team_id ON crm_customer
FOR EACH ROW WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.team_id IS NOT NEW.team_id
BEGIN
    UPDATE segmentation_customersegment SET owner_id = NEW.owner_id, team_id = NEW.team_id
    WHERE customer_id = NEW.id;
END;
"""
BACKFILL = {
    "postgresql": "UPDATE segmentation_customersegment s SET owner_id = c.owner_id, team_id = c.team_id "
                  "FROM crm_customer c WHERE c.id = s.customer_id",
    "sqlite": "UPDATE segmentation_customersegment SET "
              "owner_id = (SELECT owner_id FROM crm_customer c WHERE c.id = customer_id), "
              "team_id = (SELECT team_id FROM crm_customer c WHERE c.id = customer_id)",
}


def sync_install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in BACKFILL:
        return
    schema_editor.execute(BACKFILL[vendor])
    if vendor == "postgresql":
        schema_editor.execute(PG_TRIGGER)
    else:
        schema_editor.execute(SQLITE_TRIGGER)


def sync_remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_TRIGGER_DROP)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS segment_owner_team_sync")



def analyze(apps, schema_editor):
    """Statistics of the new index expressions (UPPER(name) …): without them the
    planner guesses a substring match selects thousands of rows and walks the
    created_at index instead (seconds at a million customers)."""
    if schema_editor.connection.vendor == "postgresql":
        for table in ['segmentation_customersegment']:
            schema_editor.execute(f"ANALYZE {table}")


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0005_search_filter_queue_indexes'),
        ('segmentation', '0008_delete_recomputejob'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='customersegment',
            name='segmentatio_next_co_4573e5_idx',
        ),
        migrations.AddField(
            model_name='customersegment',
            name='owner',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='customersegment',
            name='team',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.team'),
        ),
        migrations.RunPython(sync_install, sync_remove),
        migrations.AddIndex(
            model_name='customersegment',
            index=models.Index(fields=['next_contact_due', 'customer'], name='segment_queue_due'),
        ),
        migrations.AddIndex(
            model_name='customersegment',
            index=models.Index(fields=['owner', 'next_contact_due', 'customer'], name='segment_queue_owner_due'),
        ),
        migrations.AddIndex(
            model_name='customersegment',
            index=models.Index(fields=['team', 'next_contact_due', 'customer'], name='segment_queue_team_due'),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
