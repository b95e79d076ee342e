"""Budget against actual, worked by hand; financial-year boundaries for both kinds of school; the contract alert;
support time priced by role; total cost of ownership; the cross-school report; the CSV import; the printing hook."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cmdb.services import ci_create
from finance import figures, services
from finance.models import Contract, Expenditure, ExpenditureImport, RoleRate
from fits.models import Notification, School
from incidents.models import Task
from incidents.services import incident_log_time

TODAY = date(2026, 11, 24)


def spend(school, actor, day, category, amount, stage="paid", **extra):
    return services.expenditure_record(
        actor=actor,
        school=school,
        spent_on=day,
        item=f"{category} {amount}",
        category=category,
        amount=D(amount),
        stage=stage,
        **extra,
    )


# =============================================================================
# Budget against actual (hand-worked)
# =============================================================================


def test_variance_per_line_and_in_total_hand_worked(maintained, netmgr, desk, tech, supplier):
    school = maintained
    services.budget_save(
        actor=netmgr, school=school, year=2026, amounts={"hardware": 1000, "consumables": 500, "support": 2000}
    )
    spend(school, desk, date(2026, 5, 10), "hardware", "300.00")  # paid: actual
    spend(school, desk, date(2026, 11, 1), "hardware", "200.00", stage="ordered")  # ordered: committed
    spend(school, desk, date(2026, 4, 1), "consumables", "120.00")  # the year's first day: in
    spend(school, desk, date(2026, 3, 31), "consumables", "999.00")  # the day before: last year's
    spend(school, desk, date(2027, 3, 31), "consumables", "50.00")  # the year's last day: in
    ci_create(
        school=school,
        actor=tech,
        kind="laptop",
        name="HF-LT-01",
        purchase_cost=D("650.00"),
        purchase_date=date(2026, 6, 1),
    )  # bought in the year: hardware actual
    ci_create(
        school=school,
        actor=tech,
        kind="laptop",
        name="HF-LT-00",
        purchase_cost=D("640.00"),
        purchase_date=date(2026, 3, 15),
    )  # last year's
    contract = services.contract_save(
        actor=netmgr,
        school=school,
        supplier=supplier,
        title="Support",
        kind="support",
        starts_on=date(2026, 4, 1),
        ends_on=date(2027, 3, 31),
        annual_cost=D("1200"),
        payment_frequency="quarterly",
        notice_days=30,
    )
    spend(school, desk, date(2026, 7, 2), "support", "300.00", contract=contract)  # its invoice: not counted again

    fig = figures.year_figures([school], today=TODAY)[school.pk]

    assert fig.year == 2026 and fig.bounds == (date(2026, 4, 1), date(2027, 3, 31))
    hardware, consumables, support = fig.lines["hardware"], fig.lines["consumables"], fig.lines["support"]
    # hardware: 300 paid + 650 laptop = 950 actual; 200 ordered; 1000 - 200 - 950 = -150 remaining; 1150/1000 = 115%
    assert (hardware.budget, hardware.actual, hardware.committed) == (D("1000"), D("950.00"), D("200.00"))
    assert (hardware.remaining, hardware.percent_used, hardware.over) == (D("-150.00"), D("115.0"), True)
    # consumables: 120 + 50 = 170; 330 left; 34%
    assert (consumables.actual, consumables.remaining, consumables.percent_used) == (D("170"), D("330"), D("34.0"))
    # support: payments of 300 on 1 Apr, 1 Jul, 1 Oct (due: 900 actual) and 1 Jan (to come: 300 committed)
    assert (support.actual, support.committed, support.remaining, support.percent_used) == (
        D("900.00"),
        D("300.00"),
        D("800.00"),
        D("60.0"),
    )
    total = fig.total
    assert (total.budget, total.actual, total.committed, total.remaining) == (
        D("3500"),
        D("2020.00"),
        D("500.00"),
        D("980.00"),
    )
    # the plan: each line spread evenly over 12 months (1000/12 = 83.33, the last month 83.37)
    assert sum(fig.planned_by_month) == D("3500") and fig.planned_by_month[0] == D("83.33") + D("41.67") + D("166.67")
    assert fig.actual_by_month[0] == D("420.00")  # April: 120 consumables + 300 support payment


def test_an_academy_year_runs_september_to_august(academy, admin_user):
    for day, amount in (
        (date(2026, 8, 31), "1.00"),
        (date(2026, 9, 1), "10.00"),
        (date(2027, 8, 31), "100.00"),
        (date(2027, 9, 1), "1000.00"),
    ):
        spend(academy, admin_user, day, "software", amount)
    fig = figures.year_figures([academy], today=date(2026, 10, 1))[academy.pk]
    assert (fig.year, fig.bounds) == (2026, (date(2026, 9, 1), date(2027, 8, 31)))
    assert fig.lines["software"].actual == D("110.00")
    earlier = figures.year_figures([academy], today=date(2026, 10, 1), year=2025)[academy.pk]
    assert earlier.lines["software"].actual == D("1.00") and earlier.label == "Sep 2025 – Aug 2026"


def test_a_plan_must_add_up_to_its_line(maintained, netmgr):
    with pytest.raises(ValidationError, match="adds up to £1,100.00, not its budget of £1,200.00"):
        services.budget_save(
            actor=netmgr, school=maintained, year=2026, amounts={"software": 1200}, plans={"software": [100] * 11 + [0]}
        )
    with pytest.raises(ValidationError, match="twelve monthly amounts"):
        services.budget_save(
            actor=netmgr, school=maintained, year=2026, amounts={"software": 1200}, plans={"software": [100] * 11}
        )
    plan = [D("100")] * 11 + [D("100")]
    budget = services.budget_save(
        actor=netmgr, school=maintained, year=2026, amounts={"software": 1200}, plans={"software": plan}
    )
    assert budget.lines.get().plan == ["100.00"] * 12


def test_only_the_financial_manager_sets_the_budget_and_the_desk_records_spending(maintained, desk, tech, netmgr):
    with pytest.raises(PermissionDenied):
        services.budget_save(actor=desk, school=maintained, year=2026, amounts={"software": 1})
    with pytest.raises(PermissionDenied):
        spend(maintained, tech, date(2026, 5, 1), "hardware", "10.00")
    assert spend(maintained, desk, date(2026, 5, 1), "hardware", "10.00").recorded_by == desk


# =============================================================================
# Contracts: the alert before the notice date
# =============================================================================


def test_the_alert_is_raised_once_per_contract_and_end_date(maintained, netmgr, supplier, leader):
    today = timezone.localdate()
    soon = services.contract_save(
        actor=netmgr,
        school=maintained,
        supplier=supplier,
        title="Copier maintenance",
        kind="maintenance",
        starts_on=today - timedelta(days=200),
        ends_on=today + timedelta(days=100),
        annual_cost=D("1450"),
        notice_days=90,
        owner=leader,
    )  # notice date in 10 days: inside the 60-day window
    services.contract_save(
        actor=netmgr,
        school=maintained,
        supplier=supplier,
        title="Broadband",
        kind="connectivity",
        starts_on=today,
        ends_on=today + timedelta(days=400),
        annual_cost=D("2400"),
        notice_days=90,
    )  # notice date in 310 days: not yet
    assert services.contracts_check_notice(today=today) == 1
    assert services.contracts_check_notice(today=today) == 0  # again: nothing new
    assert services.contracts_check_notice(today=today + timedelta(days=5)) == 0
    task = Task.objects.get(source_key=f"finance:contract:{soon.pk}:{soon.ends_on.isoformat()}")
    assert "Copier maintenance" in task.title and task.due_on == soon.notice_date
    assert Contract.objects.get(pk=soon.pk).alert_task == task
    assert Notification.objects.filter(recipient=leader, event="review_due").count() == 1
    assert soon.status_on(today) == "in_notice"
    # Renewed: the new contract has its own end date, so its own alert when its time comes
    successor = services.contract_renew(actor=netmgr, contract=soon, ends_on=soon.ends_on + timedelta(days=365))
    assert Contract.objects.get(pk=soon.pk).status_on(today) == "renewed"
    assert successor.starts_on == soon.ends_on + timedelta(days=1)
    assert services.contracts_check_notice(today=today) == 0
    services.contracts_check_notice(today=successor.notice_date - timedelta(days=59))
    assert Task.objects.filter(source_key=f"finance:contract:{successor.pk}:{successor.ends_on.isoformat()}").exists()


def test_a_cancelled_contract_raises_nothing_and_lapses(maintained, netmgr, supplier):
    today = timezone.localdate()
    contract = services.contract_save(
        actor=netmgr,
        school=maintained,
        supplier=supplier,
        title="Old MIS",
        kind="licence",
        starts_on=today - timedelta(days=300),
        ends_on=today + timedelta(days=40),
        annual_cost=D("900"),
        notice_days=30,
    )
    with pytest.raises(ValidationError):
        services.contract_cancel(actor=netmgr, contract=contract, note="")
    services.contract_cancel(actor=netmgr, contract=contract, note="Letter sent 1 March")
    assert services.contracts_check_notice(today=today) == 0
    other = Contract(ends_on=today - timedelta(days=1), starts_on=today - timedelta(days=30), notice_days=0)
    assert other.status_on(today) == "lapsed"


# =============================================================================
# The cost of support, and total cost of ownership
# =============================================================================


def test_support_time_is_priced_by_the_role_at_the_school(maintained, netmgr, tech, staff, log_incident):
    switch = ci_create(
        school=maintained,
        actor=tech,
        kind="switch",
        name="HF-SW-01",
        purchase_cost=D("800"),
        purchase_date=date(2025, 1, 10),
    )
    incident = log_incident(maintained, by=staff, ci=switch)
    services.role_rates_save(actor=netmgr, school=maintained, rates={"technician": D("20.00")})
    incident_log_time(incident=incident, person=tech, minutes=90)  # 1.5 h x £20 (the school's rate) = £30
    incident_log_time(incident=incident, person=netmgr, minutes=60)  # 1 h x £28 (the default) = £28
    from fits.models import TimeEntry

    entries = TimeEntry.objects.visible_to(netmgr)
    by_role = {row.key: row.cost for row in figures.support_costs(entries, {maintained.pk: maintained}, by="role")}
    assert by_role == {"technician": D("30.00"), "network_manager": D("28.00")}
    (by_ci,) = figures.support_costs(entries, {maintained.pk: maintained}, by="ci")
    assert (by_ci.label, by_ci.minutes, by_ci.cost, by_ci.hours) == ("HF-SW-01", 150, D("58.00"), D("2.5"))
    # An authority-wide rate applies where the school has none of its own
    RoleRate.objects.create(authority=maintained.authority, role="network_manager", hourly_rate=D("32.00"))
    by_role = {row.key: row.cost for row in figures.support_costs(entries, {maintained.pk: maintained}, by="role")}
    assert by_role["network_manager"] == D("32.00")


def test_total_cost_of_ownership_of_a_room(maintained, netmgr, tech, staff, desk, supplier, log_incident):
    from cmdb.models import Location
    from fits.models import TimeEntry

    site = Location.objects.create(school=maintained, kind="site", name="Main")
    block = Location.objects.create(school=maintained, kind="building", name="Block", parent=site)
    room = Location.objects.create(school=maintained, kind="room", name="ICT suite", parent=block)
    today = timezone.localdate()
    pc = ci_create(
        school=maintained,
        actor=tech,
        kind="desktop",
        name="PC1",
        location=room,
        purchase_cost=D("500"),
        purchase_date=today - timedelta(days=100),
    )
    printer = ci_create(
        school=maintained,
        actor=tech,
        kind="printer",
        name="PR1",
        location=room,
        purchase_cost=D("300"),
        purchase_date=today - timedelta(days=100),
    )
    elsewhere = ci_create(school=maintained, actor=tech, kind="printer", name="PR2", purchase_cost=D("300"))
    # £600 a year paid at the start, covering the printer here and one elsewhere: £300 each
    services.contract_save(
        actor=netmgr,
        school=maintained,
        supplier=supplier,
        title="Printers",
        kind="maintenance",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=300),
        annual_cost=D("600"),
        cis=[printer, elsewhere],
    )
    incident = log_incident(maintained, by=staff, ci=pc)
    incident_log_time(incident=incident, person=tech, minutes=60)  # £20 at the default technician rate
    spend(maintained, desk, today - timedelta(days=3), "hardware", "45.00", ci=pc)  # a new power supply
    (suite,) = figures.tco_by_room(maintained, TimeEntry.objects.visible_to(netmgr), today=today)
    assert suite.name == "ICT suite" and {ci.name for ci in suite.cis} == {"PC1", "PR1"}
    assert (suite.cost.purchase, suite.cost.contracts, suite.cost.support, suite.cost.expenditure) == (
        D("800"),
        D("300.00"),
        D("20.00"),
        D("45.00"),
    )
    assert suite.cost.total == D("1165.00")


# =============================================================================
# Reports across schools
# =============================================================================


def test_the_lea_sees_its_schools_side_by_side_in_a_fixed_number_of_queries(
    maintained, academy, consultant, client_for, netmgr, admin_user
):
    services.budget_save(
        actor=netmgr, school=maintained, year=figures.money.year_of(timezone.localdate(), 4), amounts={"hardware": 2000}
    )
    spend(maintained, netmgr, timezone.localdate(), "hardware", "500.00")
    client = client_for(consultant)
    client.get("/finance/reports/")
    with CaptureQueriesContext(connection) as two:
        response = client.get("/finance/reports/")
    content = response.content.decode()
    assert "Highfield" in content and "Riverside" in content and "Westfield" not in content
    # highfield: 500 actual of 2000, 200 pupils -> £2.50 a pupil
    assert "£2.50" in content
    for i in range(3):
        School.objects.create(slug=f"extra-{i}", name=f"Extra {i}", authority=maintained.authority)
    with CaptureQueriesContext(connection) as five:
        response = client.get("/finance/reports/")
    assert "Extra 2" in response.content.decode()
    assert len(two) == len(five)
    rows = client.get("/finance/reports/export.csv").content.decode().splitlines()
    assert rows[0].startswith("school,financial year,pupils") and len(rows) == 1 + 5


# =============================================================================
# CSV import and export
# =============================================================================

GOOD = b"""date,supplier,item,category,amount,vat,stage,order_reference
01/05/2026,Insight UK,Laptop bag,hardware,25.00,5.00,paid,PO-1
2026-05-02,New Supplier Ltd,Toner,consumables,80,16,ordered,PO-2
"""
BAD = b"""date,supplier,item,category,amount
31/02/2026,Insight UK,Laptop bag,hardware,25.00
01/05/2026,Insight UK,,stationery,abc
"""


def test_an_import_goes_in_whole_or_not_at_all(maintained, desk, supplier):
    batch = services.expenditure_import(actor=desk, school=maintained, filename="bad.csv", content=BAD)
    assert not batch.accepted and Expenditure.objects.count() == 0
    found = {(e["row"], e["column"]) for e in batch.errors}
    assert found == {(2, "date"), (3, "item"), (3, "category"), (3, "amount")}
    assert batch.file.read() == BAD  # the raw file is kept
    batch = services.expenditure_import(actor=desk, school=maintained, filename="good.csv", content=GOOD)
    assert batch.accepted and batch.rows == 2
    lines = list(Expenditure.objects.order_by("spent_on"))
    assert [(line.item, line.amount, line.vat, line.stage, line.supplier.name) for line in lines] == [
        ("Laptop bag", D("25.00"), D("5.00"), "paid", "Insight UK"),
        ("Toner", D("80.00"), D("16.00"), "ordered", "New Supplier Ltd"),
    ]
    assert ExpenditureImport.objects.count() == 2
    rows = services.expenditure_csv_rows(lines)
    assert rows[1][:5] == ["01/05/2026", "Insight UK", "Laptop bag", "hardware", "25.00"]
    missing = services.expenditure_import(actor=desk, school=maintained, filename="x.csv", content=b"date,item\n1,2\n")
    assert missing.errors == [{"row": 1, "column": "category, amount", "error": "Missing column(s)."}]


# =============================================================================
# Print Management's deliveries
# =============================================================================


def test_a_cartridge_delivery_with_a_cost_is_recorded_once_as_consumables(maintained, tech):
    from om.printing import services as printing

    cartridge = printing.cartridge_save(
        actor=tech, school=maintained, name="HP 415A black", part_number="W2030A", unit_cost=D("45.50")
    )
    movement = printing.stock_move(actor=tech, cartridge=cartridge, kind="received", quantity=3, note="PO-77")
    line = Expenditure.objects.get()
    assert (line.category, line.amount, line.item) == ("consumables", D("136.50"), "3 × HP 415A black (W2030A)")
    assert line.source_key == f"printing:received:{movement.pk}" and line.order_reference == "PO-77"
    again = services.consumables_receipt_record(movement=movement, unit_cost=D("45.50"), actor=tech)
    assert again.pk == line.pk and Expenditure.objects.count() == 1
    printing.stock_move(actor=tech, cartridge=cartridge, kind="fitted", quantity=1)  # fitting costs nothing new
    free = printing.cartridge_save(actor=tech, school=maintained, name="Sample", part_number="S-1")
    printing.stock_move(actor=tech, cartridge=free, kind="received", quantity=1)  # no unit cost: nothing recorded
    assert Expenditure.objects.count() == 1
