"""The journeys of `make load`: what each kind of user opens, as functions of a session (locust's, in
bench/locustfile.py, or a plain requests session, with which bench/load.py times each page alone). No locust here:
locust patches the standard library when imported, which the timing process must not have.

A provincial manager reads: the summary, the status table filtered by status, one city's pledges behind, a text search,
a pledge's page, and now and then exports one city's pledges behind. A reporter of one office reads the to-do list,
its own pledges and one of them, and records an update through the admin's quick entry (the form, then the save).
Each page is one entry in locust's statistics; bench/load.py also times each alone, through the same functions.
"""

from __future__ import annotations

import random
import re
from datetime import date

import requests

STATUSES = ["off_track", "at_risk", "on_track", "achieved"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def get(session, url: str, name: str, **kwargs):
    """A GET that counts as a failure unless it answers 200; locust's client names the entry, a plain session not."""
    if hasattr(session, "request_event"):  # locust's HttpSession
        with session.get(url, name=name, catch_response=True, allow_redirects=False, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {url}")
            return response
    response = session.get(url, allow_redirects=False, **kwargs)
    if response.status_code != 200:
        raise RuntimeError(f"{name}: {response.status_code} for {url}")
    return response


def post_form(session, url: str, name: str, data: dict, referer: str):
    """A POST that must answer with a redirect (a saved form); a form shown again with errors is a failure."""
    headers = {"Referer": referer}
    if hasattr(session, "request_event"):
        with session.post(url, data=data, name=name, headers=headers, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code} for {url} (not saved)")
            return response
    response = session.post(url, data=data, headers=headers, allow_redirects=False)
    if response.status_code != 302:
        raise RuntimeError(f"{name}: {response.status_code} for {url} (not saved)")
    return response


def log_in(session, base: str, username: str, password: str) -> None:
    page = get(session, f"{base}/login/", "login (form)")
    token = CSRF.search(page.text).group(1)
    post_form(session, f"{base}/login/", "login", {"username": username, "password": password,
                                                   "csrfmiddlewaretoken": token}, f"{base}/login/")


def logged_in_session(base: str, username: str, plan: dict) -> requests.Session:
    """A plain requests session, logged in: bench/load.py times each page alone with it."""
    session = requests.Session()
    log_in(session, base, username, plan["password"])
    session.base = base
    return session


def url(session, path: str) -> str:
    return getattr(session, "base", "") + path


class ManagerJourney:
    """What a provincial manager opens, with how often (weights)."""

    @staticmethod
    def username_for(plan: dict, n: int) -> str:
        return plan["manager"]

    @staticmethod
    def pages(plan: dict, n: int) -> list[tuple[str, callable, int]]:
        pledges, cities = plan["pledges"], plan["cities"]
        offices = [reporter["organization"] for reporter in plan["reporters"]]
        return [
            ("summary", lambda s: get(s, url(s, "/"), "summary"), 2),
            ("status table by status", lambda s: get(
                s, url(s, f"/pledges/?status={random.choice(STATUSES)}&page={random.randint(1, 3)}"), "status table by status"), 4),
            ("a city's pledges behind", lambda s: get(
                s, url(s, f"/pledges/?organization={random.choice(cities)}&status=off_track"), "a city's pledges behind"), 2),
            # 指标 and three digits: about a hundred pledges' metrics contain it at 100,000 pledges.
            ("search", lambda s: get(s, url(s, f"/pledges/?q=指标{random.randint(100, 999)}"), "search"), 2),
            ("pledge page", lambda s: get(s, url(s, f"/pledges/{random.randint(1, pledges)}/"), "pledge page"), 3),
            # An office's pledges (about 50 rows): a city's 3,000 take seconds of CPU each (django-tables2 works out
            # every cell's method signature), and in a closed loop such long requests end up being most of those in
            # flight; bench/load.py times that one for one user alone (SINGLE_USER_ONLY).
            ("export (CSV of an office's pledges)", lambda s: get(
                s, url(s, f"/pledges/?organization={random.choice(offices)}&_export=csv"),
                "export (CSV of an office's pledges)"), 1),
        ]

    @staticmethod
    def single_user_only(plan: dict) -> list[tuple[str, callable, int]]:
        """Pages timed for one user alone, not in the mix."""
        city = plan["cities"][0]
        return [("export (CSV of a city's pledges behind, about 3,000 rows; one user only)", lambda s: get(
            s, url(s, f"/pledges/?organization={city}&status=off_track&_export=csv"), "export of a city"), 0)]


class ReporterJourney:
    """What a reporter of one office opens, and the update it records."""

    @staticmethod
    def username_for(plan: dict, n: int) -> str:
        return plan["reporters"][n % len(plan["reporters"])]["username"]

    @staticmethod
    def pages(plan: dict, n: int) -> list[tuple[str, callable, int]]:
        reporter = plan["reporters"][n % len(plan["reporters"])]

        def record_an_update(s):
            pledge = random.choice(reporter["pledges"])
            add = url(s, f"/admin/commitments/progressupdate/add/?pledge={pledge}")
            form = get(s, add, "record an update (form)")
            token = CSRF.search(form.text).group(1)
            return post_form(s, add, "record an update (save)", {
                "csrfmiddlewaretoken": token, "pledge": pledge, "as_of": date.today().isoformat(),
                "value": random.randint(1, 120), "note": "负载测试报送",
                # Asked for when the update leaves the pledge behind (tests/test_cause_measures.py).
                "cause": "资金到位较晚", "measures": "加快拨付进度", "back_on_track_by": "2027-06-30",
            }, add)

        return [
            ("to-do list", lambda s: get(s, url(s, "/todo/"), "to-do list"), 2),
            ("own pledges", lambda s: get(s, url(s, f"/pledges/?organization={reporter['organization']}"), "own pledges"), 2),
            ("own pledge page", lambda s: get(
                s, url(s, f"/pledges/{random.choice(reporter['pledges'])}/"), "own pledge page"), 2),
            ("record an update (form + save)", record_an_update, 1),
        ]
