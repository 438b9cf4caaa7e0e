"""Importing customers, contacts, transactions and interactions from CSV or XLSX,
set-based, as background jobs (kind "crm.import", crm.importing.jobs).

read (reading) → clean and check column-wise (specs, with crm.validation's
rules) → look up references, drop duplicates and build the *stage* (engine)
→ write the stage all-or-nothing: COPY + INSERT … SELECT / ON CONFLICT on
PostgreSQL, bulk_create elsewhere (writing). Uploads, stages and error
reports are kept encrypted in the database (storage)."""
from crm.importing.reading import ACCEPTED_SUFFIXES, FileError, read_chunks, read_headers  # noqa: F401
from crm.importing.specs import (  # noqa: F401
    ALIASES,
    ENTITIES,
    ENTITY_FIELDS,
    ENTITY_MODELS,
    auto_mapping,
    mapping_errors,
)
from crm.validation import email_normalize as clean_email  # noqa: F401
from crm.validation import text_clean as clean_text  # noqa: F401
