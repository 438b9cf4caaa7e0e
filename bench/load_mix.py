"""The fixed request mix of bench_load.py (a locust file; run by bench_load.py, which
passes the tokens, the session login and the customer ids in the environment).

Weights: customer list API 4, customer detail API 3, ticket queue page 2, dashboard
page 1, and the framework floor (bench.load_floor) 4, the same weight as the list it
is compared with. No think time: each user sends its next request when the last
one has answered (a closed loop), so the throughput is what the server can do."""
from __future__ import annotations

import os
import random
import re

import gevent
from locust import FastHttpUser, constant, events, task

TOKEN = os.environ["LOAD_TOKEN"]
USERNAME = os.environ["LOAD_USERNAME"]
PASSWORD = os.environ["LOAD_PASSWORD"]
CUSTOMER_IDS = [int(i) for i in os.environ["LOAD_CUSTOMER_IDS"].split(",")]
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "20000"))
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
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
        self.rng = random.Random(id(self))
        page = self.client.get("/login/", name="login (setup)")
        token = _CSRF.search(page.text).group(1)
        self.client.post("/login/", data={"username": USERNAME, "password": PASSWORD,
                                          "csrfmiddlewaretoken": token}, name="login (setup)")

    @task(4)
    def customer_list_api(self):
        self.client.get("/api/v1/customers/", headers=self.api, name="API customer list")

    @task(4)
    def customer_list_floor(self):
        self.client.get("/bench/floor/customers/", headers=self.api, name="floor: values() + JsonResponse")

    @task(3)
    def customer_detail_api(self):
        self.client.get(f"/api/v1/customers/{self.rng.choice(CUSTOMER_IDS)}/", headers=self.api,
                        name="API customer detail")

    @task(2)
    def ticket_queue(self):
        self.client.get("/tickets/", name="ticket queue page")

    @task(1)
    def dashboard(self):
        self.client.get("/reviews/dashboard/", name="dashboard page")
