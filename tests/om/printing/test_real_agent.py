"""Reading printers over SNMP against a real agent (snmpsimd serving recorded printers), as the issue checks it:
supply levels and page counts appear, and a low toner raises exactly one replenishment task however often the
reading runs. Nothing is mocked; time passes through `now=`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from incidents.models import Task, TaskOrigin, TaskStatus
from om.printing import services
from om.printing.models import PageCountReading, PrintUsageDay, Supply, SupplyReading, SupplyState
from om.printing.reading import read_printers

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday in term


def supplies_of(printer) -> dict[str, Supply]:
    return {supply.description: supply for supply in Supply.objects.filter(printer=printer)}


def test_the_office_printers_supply_levels_and_page_count_appear(highfield, make_printer, printer_agent):
    """Peer: printer.snmprec (black 72 %, cyan 15 %, magenta 4 %, yellow -3 "some remaining", 48213 pages)."""
    host, port = printer_agent
    printer = make_printer(highfield, "HF-OFF-PRN", community="printer", port=port)

    [outcome] = read_printers(now=T0)

    assert outcome.ok, outcome.error
    printer.refresh_from_db()
    assert (printer.page_count, printer.last_read_at, printer.last_error) == (48213, T0, "")
    found = supplies_of(printer)
    assert {name: (s.level, s.percent, s.state) for name, s in found.items()} == {
        "Black Toner Cartridge": (72, 72, SupplyState.OK),
        "Cyan Toner Cartridge": (15, 15, SupplyState.LOW),  # at the 15 % threshold
        "Magenta Toner Cartridge": (4, 4, SupplyState.LOW),
        "Yellow Toner Cartridge": (-3, None, SupplyState.SOME),  # never 0, never 100
    }
    assert found["Yellow Toner Cartridge"].level_display == "some remaining"
    assert found["Black Toner Cartridge"].type_label == "toner"
    assert SupplyReading.objects.filter(supply__printer=printer).count() == 4
    assert PageCountReading.objects.get(printer=printer).count == 48213


def test_a_low_toner_raises_exactly_one_task_however_often_the_reading_runs(
    highfield, tech, make_printer, printer_agent
):
    """Peer: printer-low.snmprec (black 8 %, drum 18000 of 30000 impressions, waste box unknown)."""
    host, port = printer_agent
    printer = make_printer(highfield, "HF-STAFF-PRN", community="printer-low", port=port, model="LaserJet M404")
    cartridge = services.cartridge_save(actor=tech, school=highfield, name="HP 59A black", part_number="CF259A",
                                        colour="black", printer_models="LaserJet M404, LaserJet M428",
                                        yield_pages=3000, unit_cost=Decimal("89.00"))  # fmt: skip
    services.stock_move(actor=tech, cartridge=cartridge, kind="received", quantity=2, note="Delivery 4471")

    for minute in range(0, 120, 30):
        [outcome] = read_printers(now=T0 + timedelta(minutes=minute))
        assert outcome.ok, outcome.error

    tasks = Task.objects.filter(school=highfield, origin=TaskOrigin.REPLENISHMENT)
    assert tasks.count() == 1
    task = tasks.get()
    assert task.title == "Replace Black Toner Cartridge in HF-STAFF-PRN"
    assert task.ci == printer.ci and task.status == TaskStatus.OPEN
    assert "at 8 %, at or below the 15 % threshold" in task.description
    assert "Cartridge: HP 59A black (CF259A). 2 in stock: fit one." in task.description
    found = supplies_of(printer)
    assert found["Black Toner Cartridge"].task == task
    assert (found["Imaging Drum"].percent, found["Imaging Drum"].state) == (60, SupplyState.OK)
    assert (found["Waste Toner Box"].level, found["Waste Toner Box"].state) == (-2, SupplyState.UNKNOWN)
    assert SupplyReading.objects.filter(supply=found["Black Toner Cartridge"]).count() == 4
    # The counter stood still: no pages printed, one usage row at most and none with pages.
    assert not PrintUsageDay.objects.filter(printer=printer, pages__gt=0).exists()


def test_an_empty_toner_bumps_its_task_once(highfield, make_printer, printer_agent):
    """Peer: printer-mono.snmprec (black toner at 0 of 2000 impressions)."""
    host, port = printer_agent
    printer = make_printer(highfield, "HF-C12-PRN", community="printer-mono", port=port)

    read_printers(now=T0)
    read_printers(now=T0 + timedelta(minutes=30))

    task = Task.objects.get(school=highfield, origin=TaskOrigin.REPLENISHMENT)
    assert task.title == "Out: Replace Black Toner in HF-C12-PRN"
    assert task.due_on == T0.date()
    supply = Supply.objects.get(printer=printer)
    assert (supply.state, supply.level_display) == (SupplyState.EMPTY, "0 %")


def test_a_silent_printer_is_recorded_and_does_not_stop_the_others(highfield, make_printer, printer_agent):
    host, port = printer_agent
    good = make_printer(highfield, "HF-OFF-PRN", community="printer", port=port)
    wrong = make_printer(highfield, "HF-WRONG", community="no-such-device", port=port)
    gone = make_printer(highfield, "HF-GONE", address="")

    outcomes = {o.name: o for o in read_printers(now=T0, timeout=0.3)}

    assert outcomes["HF-OFF-PRN"].ok
    assert "no SNMP reply" in outcomes["HF-WRONG"].error
    assert outcomes["HF-GONE"].error == "HF-GONE has no management address in the CMDB"
    for printer in (wrong, gone):
        printer.refresh_from_db()
        assert printer.failing_since == T0 and printer.last_error
    read_printers(now=T0 + timedelta(minutes=30), timeout=0.3)
    wrong.refresh_from_db()
    good.refresh_from_db()
    assert wrong.failing_since == T0  # "no answer since" the first failure
    assert good.failing_since is None and good.page_count == 48213


def test_the_command_prints_a_table(highfield, make_printer, printer_agent, capsys):
    host, port = printer_agent
    make_printer(highfield, "HF-OFF-PRN", community="printer", port=port)

    call_command("read_printers", "--once", "--school", "highfield")

    out = capsys.readouterr().out
    assert "HF-OFF-PRN" in out and "48213" in out and "Yellow Toner Cartridge some remaining" in out
    assert "1 printer(s) answered, 0 did not." in out


def test_beat_reads_every_30_minutes_on_the_monitoring_queue_and_the_task_reports(
    highfield, make_printer, printer_agent, settings
):
    from fits.schedules import DEFAULT_SCHEDULES
    from om.printing.tasks import printers_read_task

    [schedule] = [s for s in DEFAULT_SCHEDULES if s.task == "om.printing.tasks.printers_read_task"]
    assert schedule.crontab == "*/30 * * * *"
    assert (
        settings.CELERY_TASK_ROUTES["om.printing.tasks.printers_read_task"]["queue"] == settings.FITS_MONITORING_QUEUE
    )
    host, port = printer_agent
    make_printer(highfield, "HF-STAFF-PRN", community="printer-low", port=port)
    make_printer(highfield, "HF-GONE", address="")

    assert printers_read_task.delay(school_id=highfield.pk).get() == {"answered": 1, "failed": 1, "tasks_raised": 1}
    assert printers_read_task.delay(school_id=highfield.pk).get() == {"answered": 1, "failed": 1, "tasks_raised": 0}
