"""The bulletin (情况通报) of one organization's subtree of N pledges (default 10,000): figures as of a month's end,
the Word and the PDF, stored; made again after later changes, it must give the same figures.

Self-contained: it adds its own city with 40 departments, the pledges, three status changes and two progress updates
each (causes and measures on those behind), and open instructions, dated in the months before the bench's day.
Run by bench/run.py (`--only bulletin`, `--bulletin N`)."""

from __future__ import annotations

import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

DEPARTMENTS = 40
STATUSES = ["on_track", "at_risk", "off_track", "achieved", "on_track", "overdue", "no_data"]


def build_subtree(pledges: int):
    """The city, its departments, the pledges and their history; returns the city."""
    from django.db import connection

    from commitments.models import Instruction, Organization, Pledge, ProgressUpdate, StatusChange

    zone = ZoneInfo("Asia/Shanghai")
    city = Organization.objects.create(name="通报测试市", level="city")
    departments = [Organization.objects.create(name=f"通报测试局{n:02d}", parent=city) for n in range(DEPARTMENTS)]
    Pledge.objects.bulk_create(
        [Pledge(metric=f"通报指标{n}", kind="level", comparator=">=", target=Decimal(100), unit="个",
                start_date=date(2026, 1, 1), deadline=date(2026, 12, 31), cadence="monthly",
                lead_organization=departments[n % DEPARTMENTS], tree_path="") for n in range(pledges)],
        batch_size=2000,
    )
    ids = list(Pledge.objects.filter(lead_organization__parent=city).order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:  # created before the periods; their own tree paths
        cursor.execute(
            "UPDATE commitments_pledge SET created_at = %s, tree_path = '/' || id || '/' WHERE id = ANY(%s)",
            [datetime(2026, 1, 2, tzinfo=zone), ids],
        )
    changes, updates = [], []
    for i, pk in enumerate(ids):
        previous = ""
        for month, shift in ((3, 0), (4, 1), (5, 2)):  # a change at the end of March, April and May
            status = STATUSES[(i + shift * (i % 3)) % len(STATUSES)]
            changes.append(StatusChange(pledge_id=pk, from_status=previous, to_status=status,
                                        assessed_on=date(2026, month, 28), reason={"code": "not_assessed"}, trigger="bench"))
            previous = status
        for month in (4, 5):
            behind = previous in ("at_risk", "off_track", "overdue")
            updates.append(ProgressUpdate(
                pledge_id=pk, value=Decimal(10 * month), as_of=date(2026, month, 28), review_state="approved",
                cause=f"原因说明{i}" if behind else "", measures=f"整改措施{i}" if behind else "",
            ))
    StatusChange.objects.bulk_create(changes, batch_size=5000)
    ProgressUpdate.objects.bulk_create(updates, batch_size=5000)
    Instruction.objects.bulk_create(
        [Instruction(pledge_id=pk, addressee=departments[0], text="请加快", due=date(2026, 5, 15)) for pk in ids[::20]]
    )
    with connection.cursor() as cursor:  # recorded on the day they speak of
        cursor.execute("UPDATE commitments_statuschange SET changed_at = assessed_on + time '10:00' WHERE trigger = 'bench'")
        cursor.execute("UPDATE commitments_progressupdate SET created_at = as_of + time '11:00' WHERE pledge_id = ANY(%s)", [ids])
        cursor.execute("UPDATE commitments_instruction SET written_at = %s WHERE pledge_id = ANY(%s)",
                       [datetime(2026, 5, 2, tzinfo=zone), ids])
        cursor.execute("ANALYZE")
    return city


def bench_bulletin(pledges: int) -> dict:
    from django.test import override_settings

    from commitments import bulletins
    from commitments.models import StatusChange

    city = build_subtree(pledges)
    may = (date(2026, 5, 1), date(2026, 5, 31))
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        started = time.perf_counter()
        figures = bulletins.figures_for(city, "month", *may)
        figures_seconds = time.perf_counter() - started
        started = time.perf_counter()
        bulletin = bulletins.issue(city, "month", *may)
        seconds = time.perf_counter() - started
        sizes = (bulletin.docx.size, bulletin.pdf.size)
        # Later: every pledge changes status in June; the May bulletin made again reads the same figures.
        StatusChange.objects.bulk_create(
            [StatusChange(pledge_id=pk, from_status="", to_status="achieved", assessed_on=date(2026, 6, 10), trigger="later")
             for pk in city.subtree().values_list("led_pledges__pk", flat=True) if pk]
        )
        same = bulletins.figures_for(city, "month", *may) == bulletin.figures == figures
    return {
        "pledges": figures["total"], "seconds": seconds, "figures_seconds": figures_seconds, "same": same,
        "lagging": figures["lagging_total"], "docx_kb": sizes[0] / 1024, "pdf_kb": sizes[1] / 1024,
    }


def report_rows(result: dict, row) -> None:
    row(f"bulletin of a subtree of {result['pledges']:,} pledges ({result['lagging']:,} lagging): figures, Word and PDF, "
        "stored", f"{result['seconds']:.1f} s", f"the figures alone {result['figures_seconds']:.1f} s; "
        f"Word {result['docx_kb']:.0f} KB, PDF {result['pdf_kb']:.0f} KB", "≤ 10 s", result["seconds"] <= 10)
    row("  made again after later changes: the same figures", "yes" if result["same"] else "no", "—", "equal",
        result["same"])


