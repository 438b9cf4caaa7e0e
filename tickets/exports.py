"""The weekly ticket summary as XLSX (zh-Hans or English): the week's figures, the
per-department split and the customer feedback the reader may see, every cell
through core.safe_export."""
from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import override

from core.safe_export import spreadsheet_row

FIGURE_KEYS = ("total", "resolved", "resolution_rate", "avg_handling_hours", "rated", "satisfaction", "complaints",
               "repeats", "repeat_rate")


def _headers() -> list[str]:
    return [_("Tickets"), _("Resolved"), _("Resolution rate"), _("Average handling time (hours)"), _("Rated tickets"),
            _("Satisfaction (0–100)"), _("Complaints"), _("Repeat complaints"), _("Repeat rate")]


def _figures(d: dict) -> list:
    return [round(d[k] * 100, 1) if k.endswith("_rate") and d.get(k) is not None else d.get(k) for k in FIGURE_KEYS]


def weekly_summary_xlsx(*, summary, feedback: list[dict], language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    with override(language):
        wb = Workbook()
        ws = wb.active
        ws.title = _("Weekly summary")[:31]
        bold = Font(bold=True)
        ws.append(spreadsheet_row([_("Weekly ticket summary, week of %(week)s") % {
            "week": summary.week_start.isoformat()}]))
        ws["A1"].font = Font(bold=True, size=14)
        ws.append([])
        ws.append(spreadsheet_row(["", *_headers()]))
        ws.append(spreadsheet_row([_("All departments"), *_figures(summary.__dict__)]))
        for d in summary.by_department.values():
            ws.append(spreadsheet_row([d["name"], *_figures(d)]))
        for cell in ws[3]:
            cell.font = bold
        ws.append([])
        ws.append(spreadsheet_row([_("Volume by category")]))
        ws.cell(row=ws.max_row, column=1).font = bold
        for label, n in summary.category_rows:
            ws.append(spreadsheet_row([str(label), n]))
        ws.column_dimensions["A"].width = 28

        fb = wb.create_sheet(_("Customer feedback")[:31])
        fb.append(spreadsheet_row([_("Date"), pgettext("weekly feedback", "Source"), _("Customer"),
                                   pgettext("weekly feedback", "Rating"), _("Feedback")]))
        sources = {"ticket": _("Ticket"), "survey": _("Survey")}
        for f in feedback:
            fb.append(spreadsheet_row([timezone.localtime(f["at"]).strftime("%Y-%m-%d %H:%M"), str(sources[f["source"]]),
                                       f["customer"], f["rating"], f["text"]]))
        fb.column_dimensions["E"].width = 80
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
