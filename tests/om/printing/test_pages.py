"""Print and Output Management pages and API: who sees what, the forms' errors, the usage page and its CSV, the
stock movement POST, the CI page's Printing tab."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from om.printing import services
from om.printing.models import CartridgeModel, Printer, PrintQueue, PrintUsageDay, StockMovement
from om.printing.reading import PrinterAnswer, SupplyRow

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(highfield, make_printer):
    printer = make_printer(highfield, "HF-OFF-PRN", model="TASKalfa 3253ci")
    now = timezone.now() - timedelta(days=2)
    for day, (pages, level) in enumerate([(1000, 40), (1400, 12), (1500, 11)]):
        services.printer_record_reading(printer=printer, now=now + timedelta(days=day), answer=PrinterAnswer(
            pages, [SupplyRow("1.1", "Cyan Toner Cartridge", 3, 19, 100, level),
                    SupplyRow("1.2", "Yellow Toner Cartridge", 3, 19, 100, -3)]))  # fmt: skip
    return printer


@pytest.fixture
def cyan(highfield, tech):
    return services.cartridge_save(actor=tech, school=highfield, name="Kyocera TK-5345C", part_number="TK-5345C",
                                   colour="cyan", yield_pages=9000, unit_cost=Decimal("158.00"),
                                   printer_models="TASKalfa 3253ci")  # fmt: skip


def test_the_printer_list_shows_supply_bars_and_page_counts(client_for, desk, printer):
    page = client_for(desk).get(reverse("printing:printer_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "HF-OFF-PRN" in text and "1500" in text and "some remaining" in text and "Low" in text
    assert 'id="add-printer"' not in text  # the desk reads; technicians add
    assert reverse("om:function", args=["printing"]) in text


def test_an_ict_user_and_another_school_get_404(client_for, staff, tech2, printer):
    assert client_for(staff).get(reverse("printing:printer_list")).status_code == 404
    assert client_for(tech2).get(reverse("printing:printer_detail", args=[printer.pk])).status_code == 404


def test_a_technician_adds_a_printer_and_a_wrong_ci_is_refused_on_the_form(client_for, tech, highfield):
    from cmdb.services import ci_create

    ci = ci_create(school=highfield, actor=tech, kind="printer", name="HF-LIB-PRN", management_address="10.1.10.9")
    client = client_for(tech)
    page = client.post(reverse("printing:printer_list"), {"ci": ci.pk}, follow=True)
    printer = Printer.objects.get(ci=ci)
    assert page.redirect_chain[-1][0] == printer.get_absolute_url()
    again = client.post(reverse("printing:printer_list"), {"ci": ci.pk})
    assert again.status_code == 200 and "Select a valid choice" in again.content.decode()


def test_the_printer_page_shows_history_tasks_cost_and_queues(client_for, tech, printer, cyan, highfield):
    services.queue_save(actor=tech, school=highfield, name="Office-Colour", printer=printer, colour=True)
    page = client_for(tech).get(printer.get_absolute_url())
    text = page.content.decode()
    assert page.status_code == 200
    assert "40 · 12 · 11" in text  # the cyan's history
    assert "Replace Cyan Toner Cartridge in HF-OFF-PRN" in text and "Office-Colour" in text
    assert "0.0176 £" in text  # 158.00 / 9000 pages
    assert "Kyocera TK-5345C" in text and "0 in stock" in text


def test_a_technician_records_a_queue_and_errors_are_shown_on_the_form(client_for, tech, printer):
    client = client_for(tech)
    page = client.post(reverse("printing:queue_list"), {"name": "", "printer": printer.pk, "duplex": "on"})
    assert page.status_code == 200 and "This field is required" in page.content.decode()
    page = client.post(reverse("printing:queue_list"), {"name": "Office-Mono", "printer": printer.pk,
                                                        "driver": "KX", "deployed_to": "All staff"})  # fmt: skip
    assert page.status_code == 302
    queue = PrintQueue.objects.get()
    assert (queue.name, queue.duplex, queue.server) == ("Office-Mono", False, None)
    listing = client.get(reverse("printing:queue_list")).content.decode()
    assert "Not as the policy" in listing  # single-sided while the policy says double-sided by default


def test_stock_is_moved_on_the_cartridge_page_with_clear_errors(client_for, tech, cyan):
    client = client_for(tech)
    page = client.post(cyan.get_absolute_url(), {"kind": "fitted", "quantity": 1}, follow=True)
    assert "Only 0 of Kyocera TK-5345C (TK-5345C) in stock: cannot take 1 out." in page.content.decode()
    page = client.post(cyan.get_absolute_url(), {"kind": "received", "quantity": 3, "note": "Delivery 881"})
    assert page.status_code == 302
    cyan.refresh_from_db()
    assert cyan.stock_on_hand == 3
    assert "Delivery 881" in client.get(cyan.get_absolute_url()).content.decode()


def test_the_reorder_list_and_its_task(client_for, tech, cyan):
    client = client_for(tech)
    page = client.get(reverse("printing:reorder"))
    assert "Kyocera TK-5345C" in page.content.decode() and "£316.00" in page.content.decode()
    done = client.post(reverse("printing:reorder"))
    assert done.status_code == 302 and "/tasks/" in done["Location"]


def test_usage_by_printer_month_and_term_and_its_csv(client_for, desk, printer, highfield):
    PrintUsageDay.objects.create(school=highfield, printer=printer, day=datetime(2026, 1, 15, tzinfo=UTC).date(),
                                 pages=700)  # fmt: skip
    client = client_for(desk)
    page = client.get(reverse("printing:usage"), {"start": "2025-09-01", "end": "2026-12-31"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Spring 2025-26" in text and "700" in text and "Jan 2026" in text
    export = client.get(reverse("printing:usage_export"), {"start": "2026-01-01", "end": "2026-01-31"})
    body = b"".join(export.streaming_content).decode()
    assert body.splitlines() == ["school,printer,day,pages", "Highfield Primary School,HF-OFF-PRN,2026-01-15,700"]
    bad = client.get(reverse("printing:usage"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert "The start date is after the end date." in bad.content.decode()


def test_the_network_manager_sets_the_policy_figures(client_for, netmgr, tech):
    page = client_for(netmgr).post(reverse("printing:policy"), {"default_duplex": "on", "colour_rule": "request",
                                   "low_supply_percent": 20, "lead_school_days": 5, "retention_days": 400})  # fmt: skip
    assert page.status_code == 302
    text = client_for(tech).get(reverse("printing:policy")).content.decode()
    assert "On request, approved by the network manager" in text and "20 %" in text
    refused = client_for(netmgr).post(reverse("printing:policy"), {"colour_rule": "staff", "low_supply_percent": 80,
                                      "lead_school_days": 5, "retention_days": 400})  # fmt: skip
    assert "Give a level between 1 and 50 %." in refused.content.decode()


def test_the_ci_page_has_a_printing_tab(client_for, tech, printer):
    page = client_for(tech).get(printer.ci.get_absolute_url(), {"tab": "printing"})
    assert page.status_code == 200
    assert "Cyan Toner Cartridge" in page.content.decode() and printer.get_absolute_url() in page.content.decode()


def test_the_api_lists_printers_and_records_a_movement(api_for, tech, tech2, printer, cyan):
    api = api_for(tech)
    listing = api.get("/api/printing/printers/").json()
    [row] = listing["results"]
    assert row["page_count"] == 1500
    assert [s["level_display"] for s in row["supplies"]] == ["11 %", "some remaining"]
    assert api.get("/api/printing/printers/", {"low": "true"}).json()["count"] == 1
    made = api.post("/api/printing/movements/", {"cartridge": cyan.pk, "kind": "received", "quantity": 2},
                    format="json")  # fmt: skip
    assert made.status_code == 201 and made.json()["stock_after"] == 2
    refused = api.post("/api/printing/movements/", {"cartridge": cyan.pk, "kind": "fitted", "quantity": 5},
                       format="json")  # fmt: skip
    assert refused.status_code == 400
    [error] = refused.json()["errors"]
    assert (error["attr"], error["detail"]) == ("quantity", "Only 2 of Kyocera TK-5345C (TK-5345C) in stock: cannot "
                                                "take 5 out.")  # fmt: skip
    other = api_for(tech2).post("/api/printing/movements/", {"cartridge": cyan.pk, "kind": "received",
                                "quantity": 1}, format="json")  # fmt: skip
    assert other.status_code == 400  # another school's cartridge is not a valid choice
    assert StockMovement.objects.count() == 1
    assert CartridgeModel.objects.get().stock_on_hand == 2
    assert api.get("/api/printing/usage/").json()["count"] >= 1
