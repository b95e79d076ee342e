"""The mixed load of `make load` and `make soak` (tests/perf/load.py): people signed in through the sign-in page,
nine reads for every write.

Who signs in: FITS_LOAD_USERS, a comma-separated list of usernames whose password is FITS_LOAD_PASSWORD (empty:
the username, as for the demo logins). The default is the demo's support staff at Highfield; for a seed_scale
authority use e.g. scale-0001-tech1,scale-0002-tech1,... with FITS_LOAD_PASSWORD=scale.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from urllib.parse import urlencode

from locust import FastHttpUser, between, task

USERS = [u for u in os.environ.get("FITS_LOAD_USERS", "tech,desk,netmgr,leader").split(",") if u]
PASSWORD = os.environ.get("FITS_LOAD_PASSWORD", "")
_next_user = itertools.cycle(USERS)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Person(FastHttpUser):
    """One member of staff at work: the queue, a ticket, the CMDB, a dashboard; now and then a new incident.

    FastHttpUser (geventhttpclient): the load generator shares the server's cores, and requests' client costs
    several times as much CPU per request."""

    # Seconds between one person's requests: load.py sets them (a capacity test waits almost nothing; a soak,
    # people at work, waits 0.5 to 1.5 s).
    wait_time = between(*(float(x) for x in os.environ.get("FITS_LOAD_THINK", "0.5,1.5").split(",")))

    def on_start(self) -> None:
        self.username = next(_next_user)
        page = self.client.get("/accounts/login/", name="sign in (page)")
        token = CSRF.search(page.text)
        response = self.client.post(
            "/accounts/login/",
            data=urlencode(
                {
                    "username": self.username,
                    "password": PASSWORD or self.username,
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                }
            ),
            headers={"Referer": f"{self.host}/accounts/login/", "Content-Type": "application/x-www-form-urlencoded"},
            name="sign in",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{self.username} could not sign in ({response.status_code})")
        me = self.client.get("/api/me/", name="/api/me/").json()
        self.school = (me.get("schools") or [None])[0]
        incidents = self.client.get("/api/incidents/?limit=50&brief=1", name="/api/incidents/ (ids)").json()
        self.incident_ids = [row["id"] for row in incidents.get("results", [])] or [0]

    @task(3)
    def queue(self) -> None:
        self.client.get("/incidents/?sort=due", name="/incidents/ (queue)")

    @task(2)
    def incident(self) -> None:
        incident = random.choice(self.incident_ids)
        if incident:
            self.client.get(f"/incidents/{incident}/", name="/incidents/<id>/")

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="/ (home)")

    @task(1)
    def cmdb(self) -> None:
        self.client.get("/cmdb/", name="/cmdb/")

    @task(1)
    def api_queue(self) -> None:
        self.client.get("/api/incidents/?limit=50", name="/api/incidents/")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/service-levels/dashboard/", name="/service-levels/dashboard/")

    @task(1)
    def log_incident(self) -> None:
        if not self.school:
            return
        token = next((cookie.value for cookie in self.client.cookiejar if cookie.name == "csrftoken"), "")
        self.client.post(
            "/api/incidents/",
            json={"school": self.school, "title": "Load test: projector flickers", "description": "Room 4."},
            headers={"X-CSRFToken": token, "Referer": f"{self.host}/"},
            name="POST /api/incidents/",
        )
