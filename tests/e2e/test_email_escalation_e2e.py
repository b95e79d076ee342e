"""A call that arrives by e-mail, escalated to the LEA in a real browser (Debian chromium).

`staff` e-mails the school's support address (the MTA pipe: `ingest_email`); the ticket opens
with `staff` as the caller; `netmgr` opens it and escalates it to the authority's support unit;
`staff`'s reply by e-mail threads onto the same ticket.

Run: .venv/bin/pytest tests/e2e/test_email_escalation_e2e.py -q -p no:xdist
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium not found at {CHROMIUM}"),
]

MESSAGE = """\
From: Sam Okafor <{sender}>
To: ictsupport@highfield.example.sch.uk
Subject: {subject}
Message-ID: <{mid}@mail.example.sch.uk>
Date: Mon, 23 Nov 2026 09:12:00 +0000
Content-Type: text/plain; charset=utf-8

{body}
"""


def pipe(school: str, **fields) -> None:
    raw = MESSAGE.format(**fields).encode()
    call_command("ingest_email", "--school", school, stdin=io.BytesIO(raw), stdout=io.StringIO())


def test_mail_in_escalate_to_the_lea_and_reply(sign_in, screenshot, live_server, highfield, staff, netmgr):
    from incidents.models import Channel, Incident, SupportGroup

    highfield.support_email = "ictsupport@highfield.example.sch.uk"
    highfield.save(update_fields=["support_email"])
    unit = SupportGroup.objects.create(authority=highfield.authority, kind=SupportGroup.Kind.AUTHORITY,
                                       name="Bolton ICT support unit")  # fmt: skip
    staff.email = "staff@highfield.example.sch.uk"
    staff.save(update_fields=["email"])

    pipe("highfield", sender=staff.email, subject="Server room air conditioning alarm", mid="first",
         body="The alarm in the server room is beeping and the room feels warm.")  # fmt: skip
    ticket = Incident.objects.get(title="Server room air conditioning alarm")
    assert (ticket.channel, ticket.reporter) == (Channel.EMAIL, staff)

    page = sign_in("netmgr")
    page.goto(live_server.url + ticket.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Server room air conditioning alarm")
    escalation = page.locator("#escalation")
    escalation.get_by_label("Escalate to").select_option(label="Bolton ICT support unit (LEA support unit)")
    escalation.get_by_label("What they need to know").fill("Cooling unit in the server room needs the LEA engineer.")
    escalation.get_by_role("button", name="Escalate").click()
    expect(page.locator("#escalated-note")).to_contain_text("Bolton ICT support unit")
    screenshot(page, "email-escalated")
    ticket.refresh_from_db()
    assert ticket.group == unit

    pipe("highfield", sender=staff.email, subject=f"Re: [{ticket.reference}] Server room air conditioning alarm",
         mid="second", body="It has stopped beeping now but the room is still warm.")  # fmt: skip
    page.reload()
    expect(page.get_by_text("It has stopped beeping now")).to_be_visible()
    assert Incident.objects.filter(title__icontains="air conditioning").count() == 1
