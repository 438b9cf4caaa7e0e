"""Whole names found in time that grows with the matches, not with the table (PostgreSQL).

The substring search (``UPPER(name) LIKE '%q%'``, crm.selectors.customer_search) reads the
pg_trgm index. A trigram index finds rows by intersecting the posting lists of the query's
trigrams, and in Chinese company names most trigrams are shared by a large part of the table
(有限公, 限公司, 上海x …): at a million customers a search for one whole name read ~800 index
pages to find 7 rows (bench/README.md, "Pages and lists").

Migration crm 0019 adds a second GIN index over the distinct ``GRAM``-character substrings of
``UPPER(name)`` (``crm_name_grams``, an immutable SQL function, so COPY loads and every other
writer keep it up to date). Every ``GRAM``-gram of a query of at least ``GRAM`` characters is
in any name that contains the query, so ``crm_name_grams(UPPER(name)) @> crm_name_grams(UPPER(q))``
never drops a match; its candidates are the names sharing all of the query's longer grams, which
for a whole name are about the matches. The ``LIKE`` stays beside it and decides. Shorter queries
keep the trigram index alone.
"""
from __future__ import annotations

from django.db.models import BooleanField, Func
from django.db.models.functions import Upper

GRAM = 4  # the gram length of migration crm 0019's crm_name_grams


class NameGramsContain(Func):
    """``crm_name_grams(UPPER(<column>)) @> crm_name_grams(UPPER(<value>))``: the indexed
    necessary condition of ``<column> ILIKE '%<value>%'`` (PostgreSQL only)."""

    output_field = BooleanField()
    arity = 2

    def __init__(self, column, value, **extra):
        super().__init__(Upper(column), Upper(value), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        value, value_params = compiler.compile(self.source_expressions[1])
        return f"crm_name_grams({column}) @> crm_name_grams({value})", (*column_params, *value_params)


def searchable_by_grams(q: str, *, vendor: str) -> bool:
    return vendor == "postgresql" and len(q) >= GRAM
