"""Customer list export (CSV / XLSX): the filtered list, scoped to the user.

Rows are produced chunk by chunk from a database iterator, so a large export
never holds every customer in memory. Personal fields are masked unless the
user may read them; then each chunk writes its audit rows before its rows are
handed out."""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core import access
from core.masking import mask
from core.safe_export import spreadsheet_row
from core.services import audit_reveal_record
from crm.models import PERSONAL_FIELDS, Customer
from segmentation.models import Tier

CHUNK_SIZE = 1000
COLUMNS = ["id", "external_id", "name", "kind", "industry", "size", "region", "owner", "team", "first_deal_date",
           "preferred_channel", "tags", *PERSONAL_FIELDS, "created_at"]
SEGMENT_COLUMNS = ["tier", "health_score"]
# Column widths (characters) in the XLSX, in COLUMNS order, then the segment columns.
XLSX_WIDTHS = [8, 14, 30, 8, 14, 14, 12, 12, 12, 12, 10, 20, 16, 24, 22, 30, 17, 12, 10]

def headers() -> list[str]:
    names = [str(capfirst(Customer._meta.get_field(c).verbose_name)) if c != "id" else "ID" for c in COLUMNS]
    return [*names, _("Tier"), _("Health score")]


def _labels() -> dict[str, dict[str, str]]:
    """Choice labels resolved once per export (a lazy translation per cell is slow)."""
    labels = {
        "kind": {k: str(v) for k, v in Customer.Kind.choices},
        "size": {k: str(v) for k, v in Customer.Size.choices},
        "preferred_channel": {k: str(v) for k, v in Customer.Channel.choices},
        "tier": {k: str(v) for k, v in Tier.choices},
    }
    return labels


def _row(customer: Customer, *, reveal: bool, labels: dict) -> list:
    created = timezone.localtime(customer.created_at).strftime("%Y-%m-%d %H:%M") if customer.created_at else ""
    row = [
        customer.pk, customer.external_id, customer.name, labels["kind"].get(customer.kind, customer.kind),
        customer.industry, labels["size"].get(customer.size, customer.size), customer.region,
        customer.owner.username if customer.owner else "", customer.team.name if customer.team else "",
        customer.first_deal_date.isoformat() if customer.first_deal_date else "",
        labels["preferred_channel"].get(customer.preferred_channel, customer.preferred_channel),
        "; ".join(customer.tag_list),
    ]
    for field in PERSONAL_FIELDS:
        value = getattr(customer, field) or ""
        row.append(value if reveal else (mask(field, value) or ""))
    row.append(created)
    # A missing one-to-one row raises RelatedObjectDoesNotExist, an AttributeError.
    segment = getattr(customer, "segment", None)
    row += [labels["tier"].get(segment.tier, segment.tier) if segment else "", segment.health_score if segment else ""]
    return row


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def export_rows(*, user, queryset, now: datetime, chunk_size: int | None = None) -> Iterator[list]:
    """Header row, then one row per customer. Unmasked chunks are audited
    (one row per customer, channel "export") before they are yielded."""
    chunk_size = chunk_size or CHUNK_SIZE
    reveal = access.can_see_personal_data(user)
    labels = _labels()
    yield spreadsheet_row(headers())
    for chunk in _chunks(queryset.iterator(chunk_size=chunk_size), chunk_size):
        if reveal:
            audit_reveal_record(user=user, object_type="crm.customer", object_ids=[c.pk for c in chunk],
                                fields=PERSONAL_FIELDS, channel="export", now=now)
        for customer in chunk:
            yield spreadsheet_row(_row(customer, reveal=reveal, labels=labels))


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """CSV text, line by line; a BOM first so spreadsheet programs read the Chinese right."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def xlsx_write(rows: Iterable[list], file) -> None:
    """Write the rows to ``file`` with a streaming (write-only) workbook."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Customers")[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    first = True
    for row in rows:
        if first:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=value)
                cell.font = bold
                cells.append(cell)
            sheet.append(cells)
            first = False
            continue
        sheet.append(row)
    workbook.save(file)
