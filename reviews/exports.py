"""XLSX and PDF of a review report, in zh-Hans or English, built from
``reviews.report.review_report`` so the numbers are the page's."""
from __future__ import annotations

import io

from django.http import HttpResponse

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import override

from core.safe_export import pdf_text, spreadsheet_row
from feedback.selectors import frequent_issue_headers
from reviews.pdf_font import pdf_font, pdf_safe, wrap_mode
from reviews.report import review_report


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    return str(value)


def _on_target(value) -> str:
    return "—" if value is None else (_("On target") if value else _("Off target"))


def _headers() -> list[str]:
    return [_("Metric"), _("Unit"), _("Direction"), _("Target"), _("Actual"), _("Deviation"), _("Deviation %"),
            _("On target"), _("Previous period"), _("Change vs previous"), _("Analysis")]


def _direction(d: str) -> str:
    return _("Higher is better") if d == "higher" else _("Lower is better")


def _add(sheet, row) -> None:
    sheet.append(spreadsheet_row(row))


def _loss_headers() -> list[str]:
    return [pgettext("loss profile", "Aspect"), pgettext("loss profile", "Value"),
            pgettext("loss profile", "Customers")]


def _loss_rows(losses: dict) -> list[list]:
    """The churn row's "why they left" as table rows (aspect, value, customers), the
    same in the XLSX and the PDF."""
    rows = [[_("Why they left"), _("Customers lost in the period"), losses["total"]]]
    for aspect, key in ((pgettext("loss profile", "Reason"), "reasons"), (_("Tier when lost"), "tiers"), (_("Value tier"), "value_tiers"),
                        (_("Tenure"), "tenure"), (_("Last complaint"), "complaints")):
        rows += [[aspect, x["label"], x["count"]] for x in losses[key]]
    if losses["median_tenure_days"] is not None:
        rows.append([_("Tenure"), _("median (days)"), losses["median_tenure_days"]])
    return rows


def review_xlsx(*, review, language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    with override(language):
        data = review_report(review=review)
        wb = Workbook()
        ws = wb.active
        ws.title = _("Core metrics")[:31]
        bold = Font(bold=True)
        _add(ws, [review.title])
        ws["A1"].font = Font(bold=True, size=14)
        for label, value in _header_lines(review, data["header"]):
            _add(ws, [label, value])
            ws.cell(row=ws.max_row, column=1).font = bold
        ws.append([])
        _add(ws, _headers())
        for cell in ws[ws.max_row]:
            cell.font = bold
        for r in data["rows"]:
            _add(ws, [r["name"], r["unit_label"], _direction(r["direction"]), r["target"], r["actual"],
                      r["deviation"], r["deviation_pct"], _on_target(r["on_target"]), r["previous"], r["change"],
                      r["analysis"]])
        for col, width in zip("ABCDEFGHIJK", (30, 12, 16, 10, 10, 10, 12, 12, 14, 10, 50)):
            ws.column_dimensions[col].width = width

        ws_loss = wb.create_sheet(_("Why they left")[:31])
        _add(ws_loss, _loss_headers())
        for cell in ws_loss[1]:
            cell.font = bold
        for row in _loss_rows(data["losses"]):
            _add(ws_loss, row)
        ws_loss.column_dimensions["A"].width, ws_loss.column_dimensions["B"].width = 22, 36

        ws2 = wb.create_sheet(_("Findings")[:31])
        _add(ws2, [_("Kind"), _("Title"), _("What happened"), _("Cause")])
        for f in data["strengths"] + data["problems"]:
            _add(ws2, [str(f.get_kind_display()), f.title, f.detail, f.cause])

        ws3 = wb.create_sheet(_("Actions")[:31])
        _add(ws3, [_("Improvement action"), _("Owner"), _("Deadline"), _("Status"), _("Linked metric"),
                   _("Baseline")])
        for a in data["actions"]:
            _add(ws3, [a.title, str(a.owner), a.deadline, str(a.get_status_display()), _metric_name(a.metric),
                       a.baseline])
        if data["earlier_actions"]:
            ws3.append([])
            _add(ws3, [_("Earlier actions"), _("Owner"), _("Deadline"), _("Status"), _("Linked metric"),
                       _("Baseline"), _("Now"), _("Change vs previous")])
            for a in data["earlier_actions"]:
                _add(ws3, [a["title"], a["owner"], a["deadline"], a["status_label"], a["metric_name"], a["baseline"],
                           a["current"], a["change"]])
        title, headers = frequent_issue_headers()
        ws4 = wb.create_sheet(title[:31])
        _add(ws4, headers)
        for t in data["frequent_issues"]:
            _add(ws4, [t["month"], t["name"], t["kind_label"], t["customers"], t["texts"]])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()


def _header_lines(review, header: dict) -> list[tuple[str, str]]:
    """Seed 000's header as (label, text) lines: purpose, period, scope, participants, data sources."""
    return [(_("Purpose"), header["purpose"] or "—"),
            (_("Period"), f"{header['period']} ({header['period_kind_label']})"),
            (_("Scope"), _scope_label(review)),
            (_("Participants"), "; ".join(f"{p['name']} ({p['role']})" for p in header["participants"]) or "—"),
            (_("Data sources"), "; ".join(d["label"] for d in header["data_sources"]) or "—")]


def _metric_name(key: str) -> str:
    from reviews.metrics import CATALOGUE

    return str(CATALOGUE[key].name) if key in CATALOGUE else ""


def _scope_label(review) -> str:
    parts = [str(review.get_scope_kind_display())]
    if review.team_id:
        parts.append(review.team.name)
    if review.tier:
        from reviews.labels import tier_label

        parts.append(str(tier_label(review.tier)))
    return " · ".join(parts)


def review_pdf(*, review, language: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10.5)
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=20, spaceAfter=6)
    # A heading never stays alone at the foot of a page: it moves with its table.
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4, keepWithNext=1)

    def p(text, style=body) -> Paragraph:
        text = pdf_safe("" if text is None else str(text), font)
        return Paragraph(pdf_text(text), ParagraphStyle(f"{style.name}-w", parent=style, wordWrap=wrap_mode(text)))

    def table(rows, widths):
        t = Table([[p(c, cell) for c in row] for row in rows], colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    with override(language):
        data = review_report(review=review)
        story = [p(review.title, h1),
                 table([[label, value] for label, value in _header_lines(review, data["header"])],
                       [40 * mm, 237 * mm]), Spacer(1, 4)]
        story.append(p(_("Core metrics"), h2))
        rows = [_headers()]
        for r in data["rows"]:
            rows.append([r["name"], r["unit_label"], _direction(r["direction"]), _fmt(r["target"]), _fmt(r["actual"]),
                         _fmt(r["deviation"]), _fmt(r["deviation_pct"]), _on_target(r["on_target"]),
                         _fmt(r["previous"]), _fmt(r["change"]), r["analysis"]])
        story.append(table(rows, [x * mm for x in (40, 14, 18, 20, 20, 20, 18, 18, 20, 20, 62)]))
        story.append(p(_("Why they left"), h2))
        story.append(table([_loss_headers()] +
                           [[str(c) for c in row] for row in _loss_rows(data["losses"])],
                           [50 * mm, 80 * mm, 30 * mm]))
        for title, items in ((_("Strengths"), data["strengths"]), (_("Problems"), data["problems"])):
            story.append(p(title, h2))
            if items:
                story.append(table([[_("Title"), _("What happened"), _("Cause")]] +
                                   [[f.title, f.detail, f.cause] for f in items], [70 * mm, 100 * mm, 100 * mm]))
            else:
                story.append(p("—"))
        story.append(p(_("Improvement actions"), h2))
        story.append(table([[_("Improvement action"), _("Owner"), _("Deadline"), _("Status"), _("Linked metric"),
                             _("Baseline")]] +
                           [[a.title, str(a.owner), a.deadline.isoformat(), a.get_status_display(),
                             _metric_name(a.metric), _fmt(a.baseline)] for a in data["actions"]],
                           [100 * mm, 30 * mm, 30 * mm, 30 * mm, 50 * mm, 30 * mm]))
        if data["earlier_actions"]:
            story.append(p(_("Earlier actions"), h2))
            story.append(table([[_("Improvement action"), _("Owner"), _("Status"), _("Linked metric"), _("Baseline"),
                                 _("Now"), _("Change vs previous")]] +
                               [[a["title"], a["owner"], a["status_label"], a["metric_name"], _fmt(a["baseline"]),
                                 _fmt(a["current"]), _fmt(a["change"])] for a in data["earlier_actions"]],
                               [90 * mm, 30 * mm, 30 * mm, 50 * mm, 25 * mm, 25 * mm, 25 * mm]))
        title, headers = frequent_issue_headers()
        story.append(p(title, h2))
        story.append(table([headers] +
                           [[t["month"], t["name"], t["kind_label"], t["customers"], t["texts"]]
                            for t in data["frequent_issues"]],
                           [25 * mm, 110 * mm, 30 * mm, 25 * mm, 25 * mm]))
        out = io.BytesIO()
        SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm,
                          bottomMargin=10 * mm, title=review.title).build(story)
        return out.getvalue()


def export_response(*, review, fmt: str, language: str) -> HttpResponse:
    """The report as a download (``xlsx`` or ``pdf``), for the page and the API alike."""
    language = "en" if language == "en" else "zh-hans"
    if fmt == "xlsx":
        body = review_xlsx(review=review, language=language)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = review_pdf(review=review, language=language)
        ctype = "application/pdf"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="review-{review.pk}-{language}.{fmt}"'
    return response
