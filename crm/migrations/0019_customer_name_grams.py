"""The whole-name index of the customer search (crm.name_index): a GIN index over the distinct
4-character substrings of UPPER(name). PostgreSQL only, like the trigram indexes of 0005."""
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION crm_name_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT coalesce(array_agg(DISTINCT substr(t, i, 4)), '{}') FROM generate_series(1, length(t) - 3) AS i $$
"""


def grams_index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute("CREATE INDEX IF NOT EXISTS crm_customer_name_grams ON crm_customer "
                          "USING gin (crm_name_grams(UPPER(name)))")
    # Statistics of the new expression (its most common grams): the planner's choice between
    # this index and the trigram one depends on them.
    schema_editor.execute("ANALYZE crm_customer")


def grams_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS crm_customer_name_grams")
    schema_editor.execute("DROP FUNCTION IF EXISTS crm_name_grams(text)")


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0018_transaction_customer_covering_index"),
    ]

    operations = [
        migrations.RunPython(grams_index_create, grams_index_drop),
    ]
