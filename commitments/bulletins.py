"""Bulletins (情况通报): the figures of a period for an organization's subtree, as of the period's end, written as a
Word document (python-docx) and a PDF (WeasyPrint), stored once with the figures, and sent to the scope's managers.

- `figures_for` reads the data as of the period's end (commitments.asof) and scores it (commitments.scoring): the
  counts by status, the ranking of the scope's sub-organizations with their move since the previous period, the
  lagging pledges with owner, reason, cause and measures, and the pledges that improved (由红转绿). Regenerating a
  past period later gives the same figures, since nothing recorded after the period's end is read.
- `render_docx` and `render_pdf` write the documents from the figures alone.
- `issue` stores a bulletin; `issue_due` is the scheduled job's work (the last complete month and quarter for each
  top organization, once each); `send_to_managers` queues the mails with the Word file attached (the outbox).
"""

from __future__ import annotations

import io
import os
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from . import access, asof, scoring
from .models import AlertKind, AlertProfile, Membership, Notification, Organization, Pledge
from .models_bulletins import Bulletin, ScoringRules
from .status import SEVERITY, TargetStatus

# Status order of the counts, the table and the chart: the best first, as on the summary page.
STATUS_ORDER = [*reversed(SEVERITY), TargetStatus.NO_DATA]
GREEN = {TargetStatus.ACHIEVED, TargetStatus.ON_TRACK}
# The lagging pledges written out in the documents (the worst first); the figures keep how many there are in all.
LAGGING_SHOWN = 100
IMPROVED_SHOWN = 100
STATUS_COLOURS = {
    "achieved": "#2e7d32", "on_track": "#1976d2", "at_risk": "#f9a825",
    "off_track": "#ef6c00", "overdue": "#c62828", "no_data": "#9e9e9e",
}
FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


# --- Periods ------------------------------------------------------------------------------------------


def month_before(day: date) -> tuple[date, date]:
    """The last whole month before `day`'s month: (first day, last day)."""
    end = day.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def quarter_before(day: date) -> tuple[date, date]:
    """The last whole quarter before the quarter `day` is in."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    end = day.replace(month=first_month, day=1) - timedelta(days=1)
    return end.replace(month=end.month - 2, day=1), end


def previous_period(kind: str, start: date, end: date) -> tuple[date, date]:
    if kind == Bulletin.Period.MONTH:
        return month_before(start)
    if kind == Bulletin.Period.QUARTER:
        return quarter_before(start)
    return start - (end - start) - timedelta(days=1), start - timedelta(days=1)


# --- Figures ------------------------------------------------------------------------------------------


def figures_for(scope: Organization, kind: str, start: date, end: date, rules: ScoringRules | None = None) -> dict:
    """Everything a bulletin shows, as JSON: read as of `end` (and of the previous period's end), scored with the
    rules in force at `end`."""
    rules = rules or ScoringRules.in_force_on(end)
    rules_json = rules.as_json() if rules.pk else scoring.default_rules()
    previous_start, previous_end = previous_period(kind, start, end)
    now = _read(scope, end, rules_json)
    before = _read(scope, previous_end, rules_json)

    organizations = list(Organization.objects.filter(tree_path__startswith=scope.tree_path).only("id", "name", "tree_path", "parent_id"))
    names = {org.pk: org.name for org in organizations}
    # Ranked: the scope's own sub-organizations; a scope without any is ranked alone.
    subjects = [org.pk for org in organizations if org.parent_id == scope.pk] or [scope.pk]
    paths = {org.pk: org.tree_path for org in organizations}
    ranked = scoring.ranking(
        scoring.scores(now, paths, subjects, rules_json), scoring.scores(before, paths, subjects, rules_json), names
    )
    scope_score = scoring.scores(now, paths, [scope.pk], rules_json).get(scope.pk)

    previous_status = {p.id: p.status for p in before}
    lagging = sorted(
        (p for p in now if asof.is_behind(p.status)),
        key=lambda p: (SEVERITY.index(p.status), names.get(p.organization_id, ""), p.id),
    )
    improved = [p for p in now if p.status in GREEN and asof.is_behind(previous_status.get(p.id, ""))]
    shown = lagging[:LAGGING_SHOWN]
    measures = asof.latest_measures([p.id for p in shown], end)
    pledges = Pledge.objects.in_bulk([p.id for p in shown])
    return {
        "scope": {"id": scope.pk, "name": scope.name},
        "period": {"kind": kind, "start": start.isoformat(), "end": end.isoformat()},
        "previous": {"start": previous_start.isoformat(), "end": previous_end.isoformat()},
        "rules": rules_json,
        "counts": _counts(now),
        "previous_counts": _counts(before),
        "total": len(now),
        "previous_total": len(before),
        "score": str(scope_score[0]) if scope_score else None,
        "ranking": [row.as_json() for row in ranked],
        "lagging_total": len(lagging),
        "lagging": [
            {
                "id": p.id, "metric": p.metric, "owner": names.get(p.organization_id, ""), "status": p.status,
                "reason": pledges[p.id].explain(p.reason).text() if p.id in pledges else "",
                "cause": measures.get(p.id, ("", ""))[0], "measures": measures.get(p.id, ("", ""))[1],
                "late": p.late, "overdue_instructions": p.overdue_instructions,
            }
            for p in shown
        ],
        "improved_total": len(improved),
        "improved": [
            {"id": p.id, "metric": p.metric, "owner": names.get(p.organization_id, ""),
             "from": previous_status[p.id], "to": p.status}
            for p in improved[:IMPROVED_SHOWN]
        ],
    }


def _read(scope, day, rules_json):
    pledges = asof.pledges_as_of(day, scope=scope)
    asof.add_deductions(pledges, day)
    return pledges


def _counts(pledges) -> dict:
    counted = asof.counts_by_status(pledges)
    return {status.value: counted.get(status.value, 0) for status in STATUS_ORDER}


# --- The documents' words -----------------------------------------------------------------------------


def _day(iso: str) -> str:
    return formats.date_format(date.fromisoformat(iso), "DATE_FORMAT")


def status_label(status: str) -> str:
    return str(TargetStatus(status).label) if status in TargetStatus.values else status


def movement_label(movement: str) -> str:
    return _("new") if movement == "new" else movement


def document_context(bulletin_or_figures, *, number: str, title: str, issuer: str, issued_on: date) -> dict:
    """What both documents show, in the active language, from the figures alone."""
    figures = bulletin_or_figures
    counts = figures["counts"]
    before = figures["previous_counts"]
    rows = [
        {"status": status, "label": status_label(status), "count": counts.get(status, 0),
         "previous": before.get(status, 0), "change": _signed(counts.get(status, 0) - before.get(status, 0)),
         "colour": STATUS_COLOURS.get(status, "#777")}
        for status in counts
    ]
    overview = _(
        "As of %(end)s, %(total)s pledges are followed in %(scope)s (parts included): %(breakdown)s. "
        "At the end of the previous period (%(previous_end)s) there were %(previous_total)s."
    ) % {
        "end": _day(figures["period"]["end"]), "total": figures["total"], "scope": figures["scope"]["name"],
        "breakdown": _("; ").join(_("%(status)s %(n)s") % {"status": row["label"], "n": row["count"]} for row in rows),
        "previous_end": _day(figures["previous"]["end"]), "previous_total": figures["previous_total"],
    }
    return {
        "figures": figures,
        "title": title,
        "number": number,
        "issuer": issuer,
        "issued_on": formats.date_format(issued_on, "DATE_FORMAT"),
        "period_text": _("Period: %(start)s to %(end)s (status as at the end of the period)") % {
            "start": _day(figures["period"]["start"]), "end": _day(figures["period"]["end"]),
        },
        "overview": overview,
        "score_text": (_("Overall score: %(score)s") % {"score": figures["score"]}) if figures["score"] else "",
        "status_rows": rows,
        "ranking": [{**row, "movement_text": movement_label(row["movement"])} for row in figures["ranking"]],
        "lagging": [{**row, "status_label": status_label(row["status"])} for row in figures["lagging"]],
        "lagging_more": figures["lagging_total"] - len(figures["lagging"]),
        "improved": [{**row, "from_label": status_label(row["from"]), "to_label": status_label(row["to"])}
                     for row in figures["improved"]],
        "improved_more": figures["improved_total"] - len(figures["improved"]),
        "lagging_more_text": _more(figures["lagging_total"] - len(figures["lagging"])),
        "improved_more_text": _more(figures["improved_total"] - len(figures["improved"])),
        "headings": {
            "overview": _("1. Overall picture"),
            "ranking": _("2. Scores and ranking"),
            "lagging": _("3. Lagging pledges"),
            "improved": _("4. Pledges back on track (由红转绿)"),
        },
        "labels": {
            "status": _("Status"), "this_period": _("This period"), "previous": _("Previous period"),
            "change": _("Change"), "rank": _("Rank"), "organization": _("Organization"), "score": _("Score"),
            "pledges": _("Number of pledges"), "movement": _("Since the previous period"), "no": _("No."),
            "pledge": _("Pledge"), "owner": _("Owner"), "reason": _("Reason"), "cause": _("Cause of the delay"),
            "measures": _("Corrective measures"), "before": _("Before"), "now": _("Now"),
            "none": _("None."), "chart": _("Pledges by status: this period and the previous one"),
        },
    }


def _more(n: int) -> str:
    return _("and %(n)s more, listed in the status table as of this date.") % {"n": n} if n > 0 else ""


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


# --- The bar chart ------------------------------------------------------------------------------------


def chart_png(context: dict) -> bytes:
    """Bars of the pledges by status, this period (coloured) beside the previous one (grey), as a PNG."""
    from PIL import Image, ImageDraw, ImageFont

    width, height, margin, bottom = 1400, 560, 70, 90
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype(FONT_FILE, 26)
        small = ImageFont.truetype(FONT_FILE, 22)
    except OSError:  # no CJK font installed: the default font (the labels may show as boxes)
        font = small = ImageFont.load_default()
    rows = context["status_rows"]
    highest = max([1, *(max(row["count"], row["previous"]) for row in rows)])
    slot = (width - 2 * margin) / max(len(rows), 1)
    plot_height = height - bottom - margin
    draw.line((margin, height - bottom, width - margin, height - bottom), fill="#444", width=2)
    for i, row in enumerate(rows):
        left = margin + i * slot + slot * 0.15
        bar = slot * 0.33
        for offset, value, colour in ((0, row["previous"], "#c8c8c8"), (bar, row["count"], row["colour"])):
            top = height - bottom - plot_height * value / highest
            draw.rectangle((left + offset, top, left + offset + bar - 4, height - bottom), fill=colour)
            draw.text((left + offset + bar / 2 - 2, top - 6), str(value), fill="#222", font=small, anchor="ms")
        draw.text((margin + i * slot + slot / 2, height - bottom + 38), row["label"], fill="#222", font=font, anchor="ms")
    x = margin
    for colour, words in (("#c8c8c8", context["labels"]["previous"]), ("#1976d2", context["labels"]["this_period"])):
        draw.rectangle((x, 22, x + 22, 44), fill=colour)
        draw.text((x + 30, 22), words, fill="#333", font=small)
        x += 60 + int(draw.textlength(words, font=small))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- Word ---------------------------------------------------------------------------------------------


def render_docx(context: dict) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)  # as official documents (GB/T 9704) are set
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)

    def fonts(run_or_style, east_asian: str, size: float | None = None, bold: bool = False):
        run_or_style.font.name = "Times New Roman"
        run_or_style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)
        if size:
            run_or_style.font.size = Pt(size)
        run_or_style.font.bold = bold

    fonts(document.styles["Normal"], "仿宋", 14)

    def paragraph(text: str, *, east_asian="仿宋", size=14.0, bold=False, align=None, indent=True):
        para = document.add_paragraph()
        if align is not None:
            para.alignment = align
        if indent and align is None:
            para.paragraph_format.first_line_indent = Pt(size * 2)
        fonts(para.add_run(text), east_asian, size, bold)
        return para

    def heading(text: str):
        layout = paragraph(text, east_asian="黑体", size=15, indent=True).paragraph_format
        layout.space_before, layout.keep_with_next = Pt(12), True  # never alone at the foot of a page

    def table(header: list[str], rows: list[list], widths: list[float] | None = None):
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, header):
            cell.text = ""
            fonts(cell.paragraphs[0].add_run(str(text)), "黑体", 10.5)
        for values in rows:
            cells = grid.add_row().cells
            for cell, text in zip(cells, values):
                cell.text = ""
                fonts(cell.paragraphs[0].add_run(str(text)), "仿宋", 10.5)
        if widths:  # Word reads the cells' widths, LibreOffice the columns': both are set, autofit off
            grid.autofit = False
            for column, width in zip(grid.columns, widths):
                column.width = Cm(width)
            for row in grid.rows:
                for cell, width in zip(row.cells, widths):
                    cell.width = Cm(width)
        document.add_paragraph()  # a line between a table and what follows
        return grid

    labels = context["labels"]
    paragraph(context["title"], east_asian="宋体", size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(context["number"], size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(f"{context['issuer']}　　{context['issued_on']}", size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(context["period_text"], size=12, align=WD_ALIGN_PARAGRAPH.CENTER)

    heading(context["headings"]["overview"])
    paragraph(context["overview"])
    if context["score_text"]:
        paragraph(context["score_text"])
    table([labels["status"], labels["this_period"], labels["previous"], labels["change"]],
          [[row["label"], row["count"], row["previous"], row["change"]] for row in context["status_rows"]],
          widths=[4.1, 4.1, 4.1, 4.1])
    document.add_picture(io.BytesIO(chart_png(context)), width=Cm(15.4))
    paragraph(labels["chart"], size=10.5, align=WD_ALIGN_PARAGRAPH.CENTER)

    heading(context["headings"]["ranking"])
    if context["ranking"]:
        table([labels["rank"], labels["organization"], labels["score"], labels["pledges"], labels["movement"]],
              [[row["rank"], row["name"], row["score"], row["pledges"], row["movement_text"]] for row in context["ranking"]],
              widths=[1.6, 6.4, 2.8, 2.8, 2.8])
    else:
        paragraph(labels["none"])

    heading(context["headings"]["lagging"])
    if context["lagging"]:
        table([labels["no"], labels["pledge"], labels["owner"], labels["status"], labels["reason"], labels["cause"], labels["measures"]],
              [[i, row["metric"], row["owner"], row["status_label"], row["reason"], row["cause"], row["measures"]]
               for i, row in enumerate(context["lagging"], start=1)],
              widths=[1.1, 2.4, 1.8, 1.8, 3.5, 2.9, 2.9])
        if context["lagging_more_text"]:
            paragraph(context["lagging_more_text"], size=12)
    else:
        paragraph(labels["none"])

    heading(context["headings"]["improved"])
    if context["improved"]:
        table([labels["no"], labels["pledge"], labels["owner"], labels["before"], labels["now"]],
              [[i, row["metric"], row["owner"], row["from_label"], row["to_label"]]
               for i, row in enumerate(context["improved"], start=1)],
              widths=[1.4, 6.2, 3.6, 2.6, 2.6])
        if context["improved_more_text"]:
            paragraph(context["improved_more_text"], size=12)
    else:
        paragraph(labels["none"])

    # Page numbers: "— 1 —" centred in the footer, a PAGE field Word fills in.
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fonts(footer.add_run("— "), "宋体", 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    page_run = OxmlElement("w:r")
    page_text = OxmlElement("w:t")
    page_text.text = "1"
    page_run.append(page_text)
    field.append(page_run)
    footer._p.append(field)
    fonts(footer.add_run(" —"), "宋体", 14)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------------------


def render_pdf(context: dict) -> bytes:
    import base64

    from weasyprint import HTML

    html = render_to_string("commitments/bulletin_pdf.html", {
        **context, "chart": "data:image/png;base64," + base64.b64encode(chart_png(context)).decode(),
    })
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


# --- Issuing, sending, the schedule -------------------------------------------------------------------


def default_issuer(scope: Organization) -> str:
    return settings.TRACKER_BULLETIN_ISSUER or _("%(organization)s supervision office") % {
        "organization": scope.name
    }


def issue(scope: Organization, kind: str, start: date, end: date, *, user=None, issuer: str = "") -> Bulletin:
    """Make, store and return the bulletin of `scope` for the period; the scheduled kinds are made once (the one
    already stored is returned)."""
    if kind != Bulletin.Period.ON_DEMAND:
        found = Bulletin.objects.filter(scope=scope, period_kind=kind, period_end=end).first()
        if found:
            return found
    rules = ScoringRules.in_force_on(end)
    with translation.override(settings.LANGUAGE_CODE):
        figures = figures_for(scope, kind, start, end, rules)
        title = _("Bulletin on the progress of the pledges of %(scope)s") % {"scope": scope.name}
        issuer = issuer or default_issuer(scope)
        for _attempt in range(3):  # two bulletins numbered at once: the second takes the next number
            sequence = Bulletin.objects.filter(scope=scope, created_at__year=timezone.localdate().year).count() + 1
            number = _("No. %(n)s, %(year)s") % {"n": sequence, "year": timezone.localdate().year}
            context = document_context(figures, number=number, title=title, issuer=issuer, issued_on=timezone.localdate())
            bulletin = Bulletin(
                scope=scope, period_kind=kind, period_start=start, period_end=end, number=number, title=title,
                issuer=issuer, rules=rules if rules.pk else None, figures=figures, created_by=user,
            )
            stem = f"bulletin-{scope.pk}-{end.isoformat()}-{sequence}"
            bulletin.docx.save(f"{stem}.docx", ContentFile(render_docx(context)), save=False)
            bulletin.pdf.save(f"{stem}.pdf", ContentFile(render_pdf(context)), save=False)
            try:
                with transaction.atomic():
                    bulletin.save()
                return bulletin
            except IntegrityError:
                bulletin.docx.delete(save=False)
                bulletin.pdf.delete(save=False)
                if kind != Bulletin.Period.ON_DEMAND:
                    found = Bulletin.objects.filter(scope=scope, period_kind=kind, period_end=end).first()
                    if found:
                        return found
        raise IntegrityError("could not number the bulletin")


def managers_of(scope: Organization):
    """The users who manage or administer the scope: a manager or administrator membership in it or above it."""
    from django.contrib.auth import get_user_model

    above = [scope.pk, *scope.ancestor_ids()]
    return (
        get_user_model().objects.filter(
            is_active=True,
            memberships__organization__in=above,
            memberships__role__in=[Membership.Role.MANAGER, Membership.Role.ADMINISTRATOR],
        ).distinct().order_by("pk")
    )


def send_to_managers(bulletin: Bulletin) -> int:
    """Queue one mail per manager of the scope with the Word file attached; sent by the outbox's dispatcher. Once per
    bulletin and address, however often called."""
    queued = 0
    for user in managers_of(bulletin.scope):
        if not user.email:
            continue
        profile = AlertProfile.objects.filter(user=user).first()
        language = profile.language if profile else settings.LANGUAGE_CODE
        with translation.override(language):
            subject = f"{bulletin.title} {bulletin.number}"
            body = _(
                "The bulletin of %(scope)s for %(start)s to %(end)s is attached (Word). The PDF and earlier bulletins "
                "are at %(url)s."
            ) % {
                "scope": bulletin.scope.name, "start": _day(bulletin.period_start.isoformat()),
                "end": _day(bulletin.period_end.isoformat()), "url": settings.SITE_URL.rstrip("/") + reverse("tracker-bulletins"),
            }
        _row, created = Notification.objects.get_or_create(
            recipient=user.email, kind=AlertKind.BULLETIN, pledge=None, period=f"bulletin:{bulletin.pk}",
            defaults={"user": user, "language": language, "subject": subject[:300], "body_text": body,
                      "attachment": bulletin.docx.name},
        )
        queued += created
    return queued


def top_scopes():
    """The organizations a scheduled bulletin is made for: the top of each tree."""
    return Organization.objects.filter(parent__isnull=True).order_by("tree_path")


def issue_due(today: date) -> dict:
    """The scheduled job: the bulletins of the last whole month, and on a quarter's first month of the last whole
    quarter, for each top organization, made and sent once (running it again, or later, makes none twice)."""
    made = 0
    periods = [(Bulletin.Period.MONTH, *month_before(today))]
    if today.month in (1, 4, 7, 10):
        periods.append((Bulletin.Period.QUARTER, *quarter_before(today)))
    for scope in top_scopes():
        for kind, start, end in periods:
            if Bulletin.objects.filter(scope=scope, period_kind=kind, period_end=end).exists():
                continue
            bulletin = issue(scope, kind, start, end)
            send_to_managers(bulletin)
            made += 1
    return {"bulletins": made}


def file_name(bulletin: Bulletin, which: str) -> str:
    return os.path.basename(getattr(bulletin, which).name)


def can_download(user, bulletin: Bulletin) -> bool:
    return access.can_open_bulletin(user, bulletin)
