"""The fixed request mix of bench_load.py (a locust file; run by bench_load.py, which
passes the token, the session and the customer ids in the environment).

Weights: customer list API 4, customer detail API 3, ticket queue page 2, dashboard
page 1, and the framework floors (bench.load_floor: the same page, and the customer
columns only) 4 each, the same weight as the list they are compared with. No think
time: each user sends its next request when the last one has answered (a closed
loop), so the throughput is what the server can do."""
from __future__ import annotations

import os
import random

import gevent
from locust import FastHttpUser, constant, events, task

TOKEN = os.environ["LOAD_TOKEN"]
SESSION = os.environ["LOAD_SESSION"]
CUSTOMER_IDS = [int(i) for i in os.environ["LOAD_CUSTOMER_IDS"].split(",")]
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "20000"))
_state = {"sent": 0, "environment": None}


@events.init.add_listener
def _keep_environment(environment, **kwargs):
    _state["environment"] = environment


@events.request.add_listener
def _count(**kwargs):
    """The request bound (locust's --run-time is the time bound): stop the run at MAX_REQUESTS."""
    _state["sent"] += 1
    environment = _state["environment"]
    if _state["sent"] == MAX_REQUESTS and environment is not None and environment.runner is not None:
        gevent.spawn(environment.runner.quit)


class CrmUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.api = {"Authorization": f"Token {TOKEN}"}
        self.web = {"Cookie": f"sessionid={SESSION}"}
        self.rng = random.Random(id(self))

    def _get(self, path: str, name: str, headers: dict) -> None:
        # Anything but a 200 (a redirect to the login page included) is an error.
        with self.client.get(path, headers=headers, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")

    @task(4)
    def customer_list_api(self):
        self._get("/api/v1/customers/", "API customer list", self.api)

    @task(4)
    def customer_list_floor(self):
        self._get("/bench/floor/customers/", "floor: values() + JsonResponse", self.api)

    @task(4)
    def customer_columns_floor(self):
        self._get("/bench/floor/customers/columns/", "floor (customer columns only)", self.api)

    @task(3)
    def customer_detail_api(self):
        self._get(f"/api/v1/customers/{self.rng.choice(CUSTOMER_IDS)}/", "API customer detail", self.api)

    @task(2)
    def ticket_queue(self):
        self._get("/tickets/", "ticket queue page", self.web)

    @task(1)
    def dashboard(self):
        self._get("/reviews/dashboard/", "dashboard page", self.web)
