"""System health: /health/ for monitoring, `manage.py health` for cron, a panel on the admin index for operators.

Healthy means alerts can go out: the database and the broker answer, the nightly sweep and the notification
dispatcher succeeded recently (so beat and a worker are alive), and mail is not piling up at the mail server."""

import io
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from commitments import health
from commitments.models import JobRun, Notification
from tests.conftest import free_port
from tests.factories import PledgeFactory

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def health_report(client):
    response = client.get(reverse("tracker-health"))
    return response.status_code, response.json()


def states(report):
    return {name: check["state"] for name, check in report["checks"].items()}


def run_job(name, error=None):
    """A job run as the tasks record it."""
    if error is None:
        with health.recorded(name):
            pass
    else:
        with pytest.raises(type(error)):
            with health.recorded(name):
                raise error


@pytest.fixture
def jobs_ran_at_noon(broker_url):
    with time_machine.travel(NOON, tick=False):
        run_job(health.SWEEP)
        run_job(health.DISPATCH)


def test_a_new_installation_answers_200_but_warns_that_the_jobs_have_not_run_yet(client, broker_url):
    status, report = health_report(client)
    assert status == 200 and report["status"] == "warning"
    assert states(report) == {"database": "ok", "broker": "ok", "sweep": "warning", "dispatch": "warning", "mail": "ok",
                              "robots": "ok"}


def test_recent_runs_of_the_sweep_and_the_dispatcher_make_the_system_ok(client, jobs_ran_at_noon):
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        status, report = health_report(client)
    assert status == 200 and report["status"] == "ok"


def test_a_sweep_silent_for_more_than_a_day_fails_with_503(client, staff, jobs_ran_at_noon):
    with time_machine.travel(NOON + timedelta(hours=25), tick=False):
        run_job(health.DISPATCH)
        assert health_report(client)[0] == 200
    with time_machine.travel(NOON + timedelta(hours=27), tick=False):
        run_job(health.DISPATCH)
        client.force_login(staff)
        status, report = health_report(client)
    assert status == 503 and report["status"] == "failing"
    assert states(report)["sweep"] == "failing" and states(report)["dispatch"] == "ok"
    assert "2026年11月23日" in report["checks"]["sweep"]["detail"]  # when it last succeeded, in the reader's language


def test_a_dispatcher_silent_for_half_an_hour_means_beat_or_the_worker_stopped(client, jobs_ran_at_noon):
    with time_machine.travel(NOON + timedelta(minutes=31), tick=False):
        status, report = health_report(client)
    assert status == 503 and states(report)["dispatch"] == "failing"


def test_a_job_whose_last_run_failed_fails_with_its_error_until_a_run_succeeds(client, staff, jobs_ran_at_noon):
    client.force_login(staff)
    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        run_job(health.SWEEP, error=RuntimeError("disk full"))
        status, report = health_report(client)
        assert status == 503
        assert "RuntimeError: disk full" in report["checks"]["sweep"]["detail"]
        run_job(health.SWEEP)
        assert states(health_report(client)[1])["sweep"] == "ok"
    run = JobRun.objects.get(name=health.SWEEP)
    assert run.failed_at is not None and run.last_error == ""  # when it last failed is kept; the error is over


def test_an_unreachable_broker_fails_the_check(client, staff, broker_url):
    from tracker.celery import app

    client.force_login(staff)
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    try:
        status, report = health_report(client)
    finally:
        app.conf.broker_url = broker_url
    assert status == 503 and states(report)["broker"] == "failing"
    assert "cannot be reached" in report["checks"]["broker"]["detail"] or "无法连接" in report["checks"]["broker"]["detail"]


def queue_mail(count, *, state="pending", attempts=0, age=timedelta(0), error=""):
    pledge = PledgeFactory()
    for n in range(count):
        Notification.objects.create(recipient=f"r{n}@example.test", pledge=pledge, kind="status_change",
                                    period=f"{state}:{n}", subject="s", body_text="b", state=state,
                                    attempts=attempts, last_error=error)
    Notification.objects.update(created_at=NOON - age)


def test_mail_waiting_for_the_mail_server_for_over_an_hour_fails_with_the_last_error(client, staff, jobs_ran_at_noon):
    client.force_login(staff)
    queue_mail(3, attempts=4, age=timedelta(hours=2), error="SMTPConnectError: (421, 'try later')")
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        status, report = health_report(client)
    assert status == 503 and states(report)["mail"] == "failing"
    detail = report["checks"]["mail"]["detail"]
    assert "3" in detail and "SMTPConnectError: (421, 'try later')" in detail


def test_fresh_mail_in_the_queue_is_not_a_problem(client, jobs_ran_at_noon):
    queue_mail(3, attempts=1, age=timedelta(minutes=10))
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        assert states(health_report(client)[1])["mail"] == "ok"


def test_mail_refused_by_the_server_this_week_is_a_warning(client, jobs_ran_at_noon):
    queue_mail(2, state="failed", attempts=1, age=timedelta(days=1))
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        status, report = health_report(client)
    assert status == 200 and states(report)["mail"] == "warning"


def test_details_are_for_signed_in_staff_only(client, staff, broker_url):
    anonymous = health_report(client)[1]
    assert all(set(check) == {"state"} for check in anonymous["checks"].values())
    client.force_login(staff)
    signed_in = health_report(client)[1]
    assert all(check["detail"] for check in signed_in["checks"].values())


def test_the_command_prints_every_check_and_exits_1_when_failing(capsys, jobs_ran_at_noon):
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        call_command("health")
    printed = capsys.readouterr().out
    assert printed.count("✔") == 6 and printed.strip().endswith("ok")

    with time_machine.travel(NOON + timedelta(hours=30), tick=False):
        with pytest.raises(SystemExit) as exit_:
            call_command("health")
    assert exit_.value.code == 1
    assert "✖" in capsys.readouterr().out


def test_the_admin_index_shows_the_health_panel_to_superusers_only(client, staff, django_user_model, broker_url):
    client.force_login(staff)
    page = client.get(reverse("admin:index")).content.decode()
    assert "系统运行状况" in page and "夜间状态扫描" in page and "尚未运行" in page

    clerk = django_user_model.objects.create_user("clerk", password="x-Long-enough-9", is_staff=True)
    client.force_login(clerk)
    assert "系统运行状况" not in client.get(reverse("admin:index")).content.decode()


def test_a_sweep_and_a_send_run_by_hand_count_but_a_sweep_as_of_another_day_does_not(broker_url):
    call_command("flag_overdue", "--date", "2026-01-01", stdout=io.StringIO())
    assert not JobRun.objects.exists()
    call_command("flag_overdue", send=True, stdout=io.StringIO())
    assert set(JobRun.objects.filter(succeeded_at__isnull=False).values_list("name", flat=True)) == {"sweep", "dispatch"}


@pytest.mark.slow
def test_a_sweep_run_by_a_real_worker_records_itself_and_the_dispatch_it_starts(celery_worker, client):
    from commitments.tasks import sweep_statuses

    sweep_statuses.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and JobRun.objects.filter(succeeded_at__isnull=False).count() < 2:
        time.sleep(0.2)
    assert set(JobRun.objects.filter(succeeded_at__isnull=False).values_list("name", flat=True)) == {"sweep", "dispatch"}
    assert JobRun.objects.get(name="sweep").last_summary["overdue"] == 0
    assert health_report(client)[1]["status"] == "ok"
