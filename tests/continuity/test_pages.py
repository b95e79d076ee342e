"""The pages of Service Continuity Management: who reaches them, the overview's figures, the register's filters and
matrix counts, the plan's page with its CMDB recovery order, the print page and the PDF, the formset pages that edit
steps, and recording a test with its actions."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from continuity import services
from continuity.models import ContinuityPlan, ContinuityTest, Risk
from incidents.models import Task

pytestmark = pytest.mark.django_db


def test_ict_users_find_nothing_and_readers_cannot_edit(plan, risk, client_for, staff, tech):
    for url in ("/continuity/", "/continuity/risks/", f"/continuity/plans/{plan.pk}/", f"/continuity/risks/{risk.pk}/"):
        assert client_for(staff).get(url).status_code == 404
    page = client_for(tech).get(f"/continuity/plans/{plan.pk}/")
    assert page.status_code == 200
    assert f"/continuity/plans/{plan.pk}/edit/" not in page.content.decode()
    assert client_for(tech).get(f"/continuity/plans/{plan.pk}/steps/")["Location"] == plan.get_absolute_url()


def test_the_overview_puts_overdue_plans_first_and_counts_risks_by_rating(plan, risk, netmgr, highfield, chain,
                                                                           client_for, tech):  # fmt: skip
    from cmdb.services import ci_create

    today = timezone.localdate()
    mis = ci_create(school=highfield, actor=tech, kind="service", name="MIS", attributes={"purpose": "management"})
    late = services.plan_save(actor=netmgr, school=highfield, service=mis, recovery_order=9, rto_minutes=60,
                              rpo_minutes=60, review_date=today + timedelta(days=5))  # fmt: skip
    ContinuityPlan.objects.filter(pk=late.pk).update(review_date=today - timedelta(days=3))
    services.risk_save(actor=netmgr, school=highfield, title="Ransomware", category="malware", likelihood=3, impact=5,
                       review_date=today - timedelta(days=1))  # fmt: skip
    html = client_for(netmgr).get("/continuity/").content.decode()
    assert html.index(">MIS</a>") < html.index(">File storage</a>")  # overdue first, though 9th in recovery order
    assert '<div class="h1 mb-0 overdue" id="figure-reviews-overdue">1</div>' in html
    assert '<span class="fw-bold" id="rating-critical">1</span>' in html
    assert '<span class="fw-bold" id="rating-high">1</span>' in html
    assert "Ransomware</a>" in html.split('id="overdue-risks"')[1]


def test_the_matrix_counts_risks_per_cell_and_links_to_them(risk, netmgr, highfield, client_for):
    today = timezone.localdate()
    for title in ("Power cut", "Broadband down"):
        services.risk_save(actor=netmgr, school=highfield, title=title, category="power", likelihood=3, impact=4,
                           review_date=today)  # fmt: skip
    closed = services.risk_save(actor=netmgr, school=highfield, title="Old", category="theft", likelihood=3, impact=4,
                                review_date=today)  # fmt: skip
    services.risk_transition(risk=closed, action="close", actor=netmgr, note="Gone.")
    client = client_for(netmgr)
    html = client.get("/continuity/risks/matrix/").content.decode()
    cell = html.split('id="cell-3-4"')[1].split("</td>")[0]
    assert '<span class="count">2</span>' in cell and "score 12" in cell
    assert 'class="rating-high" id="cell-3-4"' in html
    assert 'class="rating-high" id="cell-2-5"' in html and "Likelihood 2, impact 5: 1 risk" in html
    assert "Likelihood 5, impact 5: 0 risks" in html and 'class="rating-critical" id="cell-5-5"' in html
    assert '<span class="count">3</span>' in client.get("/continuity/risks/matrix/?closed=1").content.decode()
    listed = client.get("/continuity/risks/?likelihood=3&impact=4&status=open&status=treated&status=accepted")
    rows = listed.content.decode().split('id="risks"')[1]
    assert "Power cut" in rows and "Broadband down" in rows and "Server room floods" not in rows and "Old" not in rows


def test_the_register_filters_by_rating_status_owner_and_overdue(risk, netmgr, leader, highfield, client_for):
    services.risk_save(actor=netmgr, school=highfield, title="Fire in the ICT suite", category="fire", likelihood=1,
                       impact=5, owner=leader, review_date=timezone.localdate() - timedelta(days=1))  # fmt: skip
    client = client_for(netmgr)

    def titles(query: str) -> set[str]:
        rows = client.get(f"/continuity/risks/{query}").content.decode().split('id="risks"')[1]
        return {t for t in ("Server room floods", "Fire in the ICT suite") if t in rows}

    assert titles("?rating=high") == {"Server room floods"}
    assert titles("?rating=medium") == {"Fire in the ICT suite"}
    assert titles("?owner=leader") == {"Fire in the ICT suite"}
    assert titles("?overdue=true") == {"Fire in the ICT suite"}
    assert titles("?status=closed") == set()


def test_a_risk_is_recorded_through_its_form(netmgr, highfield, chain, client_for):
    response = client_for(netmgr).post("/continuity/risks/new/", {
        "school": highfield.pk, "title": "Ransomware", "category": "malware", "likelihood": 4, "impact": 5,
        "residual_likelihood": 2, "residual_impact": "", "review_date": "2030-01-01", "cis": [chain["server"].pk],
    })  # fmt: skip
    assert response.status_code == 200  # half a residual risk is refused, with the reason on the page
    assert "residual likelihood and the residual impact" in response.content.decode()
    response = client_for(netmgr).post("/continuity/risks/new/", {
        "school": highfield.pk, "title": "Ransomware", "category": "malware", "likelihood": 4, "impact": 5,
        "review_date": "2030-01-01", "cis": [chain["server"].pk],
    })  # fmt: skip
    risk = Risk.objects.get(title="Ransomware")
    assert response["Location"] == risk.get_absolute_url()
    assert (risk.score, risk.rating, [ci.name for ci in risk.cis.all()]) == (20, "critical", ["HF-SRV-01"])


def test_the_plan_page_shows_the_recovery_order_contacts_and_steps(plan, client_for, consultant):
    html = client_for(consultant).get(f"/continuity/plans/{plan.pk}/").content.decode()
    order = html.split('id="dependencies"')[1]
    assert order.index("HF-CORE-01") < order.index("HF-NAS-01") < order.index("HF-SRV-01") < order.index("DFS")
    assert "Northwest Server Care" in html and "0161 555 0142" in html
    assert 'id="plan-rto">8 h<' in html and 'id="plan-rpo">1 day<' in html
    assert "No agreed SLA covers it" in html
    steps = html.split('id="steps"')[1]
    assert steps.index("Call Northwest") < steps.index("Rack the standby") < steps.index("Restore the Staff share")
    assert 'id="steps-exceed-rto"' not in html  # 310 minutes of steps within 480


def test_the_print_page_puts_contacts_first_then_order_and_ticked_steps(plan, client_for, tech):
    response = client_for(tech).get(f"/continuity/plans/{plan.pk}/print/")
    html = response.content.decode()
    assert "base.html" not in html and 'href="/static/continuity/print.css"' in html
    assert html.index("1. Who to call") < html.index("3. Recovery order") < html.index("4. Recovery steps")
    assert html.index("0161 555 0142") < html.index("HF-CORE-01")
    assert html.count('<span class="box"></span>') == 3 + 4 + 1  # each step, each component, the service
    assert "Version 1 (draft" in html and "This version is not approved" in html
    assert f"Printed {timezone.localtime():%-d %b %Y}" in html
    assert "Northwest Server Care hold a standby server" in html
    assert "<script" not in html and 'style="' not in html


def test_the_pdf_is_a_real_pdf_with_the_plans_text(plan, client_for, netmgr, tmp_path):
    services.plan_transition(plan=plan, action="approve", actor=netmgr)
    response = client_for(netmgr).get(f"/continuity/plans/{plan.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="continuity-plan-{plan.pk}-v1.pdf"'
    assert response.content.startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "plan.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("File storage: recovery plan", "Who to call", "0161 555 0142", "HF-CORE-01",
                     "Rack the standby server", "Version 1 (approved", "Recovery time objective"):  # fmt: skip
        assert expected in text, expected
    assert text.index("Who to call") < text.index("Recovery steps")


def test_steps_are_reordered_and_removed_through_the_formset(plan, netmgr, client_for):
    first, second, third = plan.steps.all()
    data = {"rows-TOTAL_FORMS": 4, "rows-INITIAL_FORMS": 3, "rows-MIN_NUM_FORMS": 0, "rows-MAX_NUM_FORMS": 1000}
    rows = [(first, 3, False), (second, 1, True), (third, 2, False)]
    for index, (step, order, delete) in enumerate(rows):
        data |= {f"rows-{index}-id": step.pk, f"rows-{index}-text": step.text, f"rows-{index}-ORDER": order,
                 f"rows-{index}-minutes": step.minutes or ""}  # fmt: skip
        if delete:
            data[f"rows-{index}-DELETE"] = "on"
    data |= {"rows-3-text": "Tell staff", "rows-3-who_text": "The desk", "rows-3-minutes": 5, "rows-3-ORDER": ""}
    response = client_for(netmgr).post(f"/continuity/plans/{plan.pk}/steps/", data)
    assert response["Location"] == plan.get_absolute_url()
    assert list(plan.steps.values_list("text", flat=True)) == [third.text, first.text, "Tell staff"]


def test_a_test_is_recorded_with_an_action_that_becomes_a_task(plan, netmgr, tech, client_for):
    today = timezone.localdate()
    response = client_for(netmgr).post(f"/continuity/plans/{plan.pk}/test/", {
        "tested_on": today.isoformat(), "kind": "walkthrough", "scenario": "Flood", "outcome": "failed",
        "findings": "No standby contract number.", "participants": [tech.pk], "rto_achieved_minutes": 600,
        "actions-TOTAL_FORMS": 2, "actions-INITIAL_FORMS": 0, "actions-MIN_NUM_FORMS": 0,
        "actions-MAX_NUM_FORMS": 1000, "actions-0-text": "Put the contract number in the plan",
        "actions-0-owner": tech.pk, "actions-0-due_on": (today + timedelta(days=7)).isoformat(),
    })  # fmt: skip
    test = ContinuityTest.objects.get()
    assert response["Location"] == test.get_absolute_url()
    task = Task.objects.get(source_key=f"continuity-action:{test.pk}:1")
    assert (task.assignee, task.due_on) == (tech, today + timedelta(days=7))
    html = client_for(tech).get(test.get_absolute_url()).content.decode()
    assert "10 h against an objective of 8 h" in html and "over the objective" in html
    assert task.reference in html


def test_the_approve_button_is_for_the_network_manager_and_leaders(plan, client_for, tech, leader):
    url = f"/continuity/plans/{plan.pk}/approve/"
    assert url not in client_for(tech).get(plan.get_absolute_url()).content.decode()
    assert url in client_for(leader).get(plan.get_absolute_url()).content.decode()
    client_for(tech).post(url)
    plan.refresh_from_db()
    assert plan.status == "draft"
    client_for(leader).post(url)
    plan.refresh_from_db()
    assert (plan.status, plan.approved_by) == ("approved", leader)
