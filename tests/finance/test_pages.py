"""The finance pages and API as the cast uses them: what they show, who may act, and the demo."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal as D

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from finance import money, services
from finance.models import Budget, Contract, Expenditure


def this_year() -> int:
    return money.year_of(timezone.localdate(), 4)


def test_the_overview_shows_budget_against_actual(maintained, netmgr, desk, client_for):
    services.budget_save(actor=netmgr, school=maintained, year=this_year(), amounts={"hardware": 1000})
    services.expenditure_record(
        actor=desk,
        school=maintained,
        spent_on=timezone.localdate(),
        item="Laptop",
        category="hardware",
        amount=D("1250.00"),
    )
    content = client_for(netmgr).get("/finance/").content.decode()
    row = re.search(r'<tr id="line-hardware"[^>]*>(.*?)</tr>', content, re.S)
    assert 'class="table-danger"' in content  # over budget
    assert "£1,000.00" in row.group(1) and "£1,250.00" in row.group(1) and "−£250.00" in row.group(1)
    assert "125.0%" in row.group(1)
    assert 'id="finance-chart-data"' in content and "<script>" not in content and 'style="' not in content


def test_the_desk_records_expenditure_and_a_technician_cannot(maintained, desk, tech, staff, client_for):
    data = {
        "spent_on": "2026-05-01",
        "item": "Toner",
        "category": "consumables",
        "amount": "80.00",
        "vat": "16.00",
        "stage": "paid",
    }
    response = client_for(desk).post("/finance/expenditure/new/", data)
    assert response.status_code == 302 and Expenditure.objects.get().recorded_by == desk
    response = client_for(tech).post("/finance/expenditure/new/", {**data, "item": "By tech"})
    assert response.status_code == 302 and not Expenditure.objects.filter(item="By tech").exists()
    assert client_for(tech).get("/finance/expenditure/").status_code == 200  # technicians read it
    assert client_for(staff).get("/finance/expenditure/").status_code == 404  # ICT users do not see it
    bad = client_for(desk).post("/finance/expenditure/new/", {**data, "amount": "0", "item": "Nothing"})
    assert "Give the amount" in bad.content.decode()


def test_the_budget_form_explains_a_plan_that_does_not_add_up(maintained, netmgr, client_for):
    url = f"/finance/budget/?school={maintained.slug}&year=2026"
    data = {
        f"amount_{c}": "0"
        for c in (
            "hardware",
            "software",
            "consumables",
            "support",
            "staff",
            "connectivity",
            "training",
            "miscellaneous",
        )
    }
    response = client_for(netmgr).post(url, {**data, "amount_software": "1200", "plan_software": "100, " * 11 + "0"})
    assert "adds up to £1,100.00, not its budget of £1,200.00" in response.content.decode()
    assert not Budget.objects.exists()
    response = client_for(netmgr).post(url, {**data, "amount_software": "1200"})
    assert response.status_code == 302
    assert Budget.objects.get().lines.get(category="software").plan[-1] == "100.00"


def test_an_import_with_errors_lists_them(maintained, desk, client_for):
    upload = SimpleUploadedFile("spend.csv", b"date,item,category,amount\n32/13/2026,Toner,consumables,10\n")
    response = client_for(desk).post(f"/finance/expenditure/import/?school={maintained.slug}", {"file": upload})
    content = response.content.decode()
    assert 'id="import-errors"' in content and "is not a date" in content and Expenditure.objects.count() == 0


def test_a_contract_is_renewed_from_its_page(maintained, netmgr, supplier, client_for, tech):
    today = timezone.localdate()
    contract = services.contract_save(
        actor=netmgr,
        school=maintained,
        supplier=supplier,
        title="Broadband",
        kind="connectivity",
        starts_on=today - timedelta(days=300),
        ends_on=today + timedelta(days=65),
        annual_cost=D("2400"),
        notice_days=90,
    )
    page = client_for(tech).get(f"/finance/contracts/{contract.pk}/").content.decode()
    assert "In notice" in page and "Renew" not in page  # a technician reads, and is offered nothing
    new_end = (contract.ends_on + timedelta(days=365)).isoformat()
    response = client_for(netmgr).post(f"/finance/contracts/{contract.pk}/renew/", {"ends_on": new_end})
    successor = Contract.objects.exclude(pk=contract.pk).get()
    assert response["Location"] == successor.get_absolute_url()
    assert Contract.objects.get(pk=contract.pk).decision == "renewed"


def test_the_api_records_expenditure_and_shows_book_values(maintained, desk, tech, netmgr):
    from cmdb.services import ci_create

    api = APIClient()
    api.force_authenticate(desk)
    payload = {
        "school": maintained.slug,
        "spent_on": "2026-06-01",
        "item": "Cables",
        "category": "hardware",
        "amount": "42.00",
    }
    response = api.post("/api/finance/expenditure/", payload, format="json")
    assert response.status_code == 201 and response.json()["amount"] == "42.00"
    api.force_authenticate(tech)
    assert api.post("/api/finance/expenditure/", payload, format="json").status_code == 403
    ci_create(
        school=maintained,
        actor=tech,
        kind="laptop",
        name="HF-LT-9",
        purchase_cost=D("900"),
        purchase_date=timezone.localdate() - timedelta(days=366),
    )
    (row,) = api.get("/api/finance/ci-costs/").json()["results"]
    assert (row["name"], row["method"], row["life_years"]) == ("HF-LT-9", "straight_line", 3)
    assert row["book_value"] == "600.00"  # 12 of 36 months written off


def test_the_demo_is_idempotent(highfield, riverside, cast):
    from finance.demo import seed_finance

    schools = {"highfield": highfield, "riverside": riverside}
    added = seed_finance(schools, cast)
    assert added["budgets"] == 2 and added["contracts"] == 7 and added["expenditure lines"] >= 10
    assert Budget.objects.get(school=riverside).year == money.year_of(timezone.localdate(), 9)
    assert seed_finance(schools, cast) == {}
