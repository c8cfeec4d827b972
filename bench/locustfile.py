"""The users of `make load`: bench/load.py starts locust with this file and LOAD_PLAN, the JSON file naming the
users, the cities and the reporters' pledges that load.py made. What they open is in bench/journeys.py."""

import json
import os
import random

from locust import FastHttpUser, constant, task

from journeys import ManagerJourney, ReporterJourney, log_in


def load_plan() -> dict:
    return json.loads(open(os.environ["LOAD_PLAN"]).read())


class Journey(FastHttpUser):
    """FastHttpUser (geventhttpclient), not HttpUser (requests): the users run on the server's own two cores, and the
    lighter client leaves more of them to the server (locust's own advice for load from one machine)."""

    abstract = True
    journey = None
    # No pause between pages: each user is a closed loop, so N users are N requests in flight at any time (the issue's
    # figures were measured so); requests/s is then what the server manages, not what the users ask for.
    wait_time = constant(0)
    numbered = 0

    def on_start(self):
        self.plan = load_plan()
        Journey.numbered += 1
        self.n = Journey.numbered
        log_in(self.client, "", self.journey.username_for(self.plan, self.n), self.plan["password"])
        pages = self.journey.pages(self.plan, self.n)
        self.requests = [request for _name, request, _weight in pages]
        self.weights = [weight for _name, _request, weight in pages]

    @task
    def next_page(self):
        random.choices(self.requests, self.weights)[0](self.client)


class Manager(Journey):
    journey = ManagerJourney
    weight = 2


class Reporter(Journey):
    journey = ReporterJourney
    weight = 1
