"""Print and Output Management services: the reading's bookkeeping (usage with counter resets, supply states,
replenishment episodes, forecast, replacement and stock), consumables, queues and the policy's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cmdb import services as cmdb
from incidents.models import Task, TaskOrigin, TaskStatus
from om.printing import services
from om.printing.models import (
    MovementKind,
    PageCountReading,
    PrintUsageDay,
    StockMovement,
    Supply,
    SupplyReading,
    SupplyState,
)
from om.printing.reading import PrinterAnswer, SupplyRow

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)


def black(level: int, *, max_capacity: int = 100, index: str = "1.1") -> SupplyRow:
    return SupplyRow(index, "Black Toner Cartridge", 3, 19, max_capacity, level)


def read(printer, now, *rows, pages=None):
    return services.printer_record_reading(printer=printer, answer=PrinterAnswer(pages, list(rows)), now=now)


@pytest.fixture
def printer(highfield, make_printer):
    return make_printer(highfield, "HF-STAFF-PRN", model="LaserJet Pro 4002dne")


@pytest.fixture
def toner(highfield, tech):
    cartridge = services.cartridge_save(actor=tech, school=highfield, name="HP 149A black", part_number="W1490A",
                                        colour="black", yield_pages=2900, unit_cost=Decimal("79.99"),
                                        printer_models="LaserJet Pro 4002dne,  LaserJet MFP 4102")  # fmt: skip
    services.stock_move(actor=tech, cartridge=cartridge, kind=MovementKind.RECEIVED, quantity=2, note="PO 118")
    cartridge.refresh_from_db()
    return cartridge


def replenishment_tasks(school):
    return Task.objects.filter(school=school, origin=TaskOrigin.REPLENISHMENT, source_key__startswith="printing:supply")


def test_page_counter_deltas_make_daily_usage_and_a_lower_count_starts_a_new_baseline(printer):
    read(printer, T0, pages=1000)
    read(printer, T0 + timedelta(hours=1), pages=1150)
    read(printer, T0 + DAY, pages=1200)
    read(printer, T0 + DAY + timedelta(hours=1), pages=40)  # the controller was replaced: the counter restarts
    read(printer, T0 + 2 * DAY, pages=100)

    usage = dict(PrintUsageDay.objects.filter(printer=printer).values_list("day", "pages"))
    assert usage == {T0.date(): 150, (T0 + DAY).date(): 50, (T0 + 2 * DAY).date(): 60}
    assert PageCountReading.objects.filter(printer=printer).count() == 5
    printer.refresh_from_db()
    assert printer.page_count == 100


def test_levels_are_read_as_the_mib_says(printer):
    read(printer, T0, SupplyRow("1.1", "Black", 3, 19, 100, 55), SupplyRow("1.2", "Drum", 9, 7, 30000, 7500),
         SupplyRow("1.3", "Waste", 4, 19, 100, -3), SupplyRow("1.4", "Fuser", 15, 7, -2, -2),
         SupplyRow("1.5", "Staples", 1, 18, 5000, -1))  # fmt: skip

    found = {s.description: (s.percent, s.state, s.level_display) for s in Supply.objects.filter(printer=printer)}
    assert found == {
        "Black": (55, SupplyState.OK, "55 %"),
        "Drum": (25, SupplyState.OK, "25 %"),
        "Waste": (None, SupplyState.SOME, "some remaining"),
        "Fuser": (None, SupplyState.UNKNOWN, "unknown"),
        "Staples": (None, SupplyState.UNKNOWN, "other"),
    }
    assert not replenishment_tasks(printer.school).exists()


def test_a_low_supply_raises_one_task_naming_the_cartridge_stock_and_room(highfield, tech, toner, make_printer):
    site = cmdb.location_create(school=highfield, actor=tech, kind="site", name="Main site")
    block = cmdb.location_create(school=highfield, actor=tech, kind="building", name="Juniors", parent=site)
    room = cmdb.location_create(school=highfield, actor=tech, kind="room", name="Staff room", parent=block)
    printer = make_printer(highfield, "HF-STAFF-PRN", model="LaserJet Pro 4002dne", location=room)
    for hour in range(5):
        read(printer, T0 + timedelta(hours=hour), black(12 - hour))

    task = replenishment_tasks(highfield).get()
    assert task.title == "Replace Black Toner Cartridge in HF-STAFF-PRN"
    assert "Cartridge: HP 149A black (W1490A). 2 in stock: fit one." in task.description
    assert "Printer: HF-STAFF-PRN, Main site / Juniors / Staff room (127.0.0.1)." in task.description
    assert task.ci == printer.ci and task.location == room and task.due_on is not None
    assert task.source_key == f"printing:supply:{Supply.objects.get().pk}:1"
    supply = Supply.objects.get()
    assert (supply.state, supply.task, supply.low_since) == (SupplyState.LOW, task, T0)


def test_a_supply_forecast_to_run_out_within_the_lead_time_is_low_before_the_threshold(printer):
    # 60 % falling 5 points a day: about 12 days left, 8 or 9 school days: within the 10-day lead time.
    for day in range(4):
        read(printer, T0 + day * DAY, black(75 - 5 * day))
    supply = Supply.objects.get()
    assert supply.percent == 60 and supply.runs_out_on == date(2026, 11, 17)
    assert supply.state == SupplyState.LOW
    assert "runs out about 17 Nov 2026" in replenishment_tasks(printer.school).get().description


def test_a_slow_supply_is_not_low(printer):
    for day in range(4):
        read(printer, T0 + day * DAY, black(60 - day))
    supply = Supply.objects.get()
    assert supply.state == SupplyState.OK and supply.runs_out_on is not None
    assert not replenishment_tasks(printer.school).exists()


def test_replacing_the_cartridge_ends_the_episode_completes_the_task_and_takes_one_off_the_shelf(printer, toner):
    read(printer, T0, black(9), pages=50000)
    task = replenishment_tasks(printer.school).get()
    read(printer, T0 + DAY, black(3), pages=50600)
    read(printer, T0 + 2 * DAY, black(98), pages=50700)

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert "reports a new Black Toner Cartridge: its level rose from 3 % to 98 %" in task.outcome
    supply = Supply.objects.get()
    assert (supply.episode, supply.task, supply.low_since, supply.state) == (2, None, None, SupplyState.OK)
    toner.refresh_from_db()
    assert toner.stock_on_hand == 1
    movement = StockMovement.objects.get(kind=MovementKind.FITTED)
    assert (movement.quantity, movement.stock_after, movement.printer, movement.actor) == (1, 1, printer, None)
    # The next episode raises its own task when it runs low again, and knows how many pages the cartridge gave.
    read(printer, T0 + 20 * DAY, black(10), pages=53600)
    read(printer, T0 + 21 * DAY, black(99), pages=53700)
    supply.refresh_from_db()
    assert supply.pages_last_cartridge == 3000
    assert replenishment_tasks(printer.school).count() == 2


def test_a_replacement_with_nothing_on_the_shelf_moves_no_stock(printer):
    read(printer, T0, black(5))
    read(printer, T0 + DAY, black(100))
    assert not StockMovement.objects.exists()
    assert Supply.objects.get().episode == 2


def test_running_out_bumps_the_open_task_once(printer):
    read(printer, T0, black(10))
    read(printer, T0 + DAY, black(0))
    read(printer, T0 + 2 * DAY, black(0))
    task = replenishment_tasks(printer.school).get()
    assert task.title == "Out: Replace Black Toner Cartridge in HF-STAFF-PRN"
    assert task.due_on == (T0 + DAY).date()
    assert Supply.objects.get().empty_since == T0 + DAY


def test_the_schools_threshold_comes_from_the_policy(printer, netmgr, tech):
    services.print_policy_save(actor=netmgr, school=printer.school, low_supply_percent=25)
    read(printer, T0, black(22))
    assert Supply.objects.get().state == SupplyState.LOW
    with pytest.raises(PermissionDenied):
        services.print_policy_save(actor=tech, school=printer.school, low_supply_percent=10)
    with pytest.raises(ValidationError) as error:
        services.print_policy_save(actor=netmgr, school=printer.school, low_supply_percent=90, retention_days=2)
    assert set(error.value.message_dict) == {"low_supply_percent", "retention_days"}


def test_a_failure_is_recorded_on_the_printer_and_cleared_by_the_next_answer(printer):
    services.printer_record_failure(printer=printer, message="no SNMP reply from 10.0.0.9:161", now=T0)
    services.printer_record_failure(printer=printer, message="no SNMP reply from 10.0.0.9:161", now=T0 + DAY)
    printer.refresh_from_db()
    assert (printer.failing_since, printer.last_error) == (T0, "no SNMP reply from 10.0.0.9:161")
    read(printer, T0 + 2 * DAY, black(50))
    printer.refresh_from_db()
    assert (printer.failing_since, printer.last_error) == (None, "")


def test_old_readings_are_pruned_after_the_retention(printer, netmgr):
    services.print_policy_save(actor=netmgr, school=printer.school, retention_days=30)
    read(printer, T0 - 40 * DAY, black(90), pages=10)
    read(printer, T0, black(80), pages=20)
    assert services.readings_prune(now=T0) == 2
    assert SupplyReading.objects.count() == 1 and PageCountReading.objects.count() == 1
    assert PrintUsageDay.objects.filter(pages=10).exists()  # usage stays


def test_stock_movements_keep_the_stock_and_refuse_what_is_not_there(toner, tech, desk):
    movement = services.stock_move(actor=tech, cartridge=toner, kind=MovementKind.FITTED, quantity=1)
    assert movement.stock_after == 1
    with pytest.raises(ValidationError) as error:
        services.stock_move(actor=tech, cartridge=toner, kind=MovementKind.FITTED, quantity=2)
    assert error.value.message_dict["quantity"] == ["Only 1 of HP 149A black (W1490A) in stock: cannot take 2 out."]
    with pytest.raises(ValidationError) as error:
        services.stock_move(actor=tech, cartridge=toner, kind=MovementKind.WRITTEN_OFF, quantity=1)
    assert "Say why" in error.value.message_dict["note"][0]
    with pytest.raises(PermissionDenied):
        services.stock_move(actor=desk, cartridge=toner, kind=MovementKind.RECEIVED, quantity=1)
    toner.refresh_from_db()
    assert toner.stock_on_hand == 1


def test_cartridges_validate_and_match_supplies_by_model_and_colour(highfield, tech, toner, printer):
    assert toner.printer_models == "LaserJet Pro 4002dne, LaserJet MFP 4102"
    with pytest.raises(ValidationError) as error:
        services.cartridge_save(actor=tech, school=highfield, name="", part_number="w1490a")
    assert set(error.value.message_dict) == {"name", "part_number"}
    read(printer, T0, black(50), SupplyRow("1.2", "Cyan Toner", 3, 19, 100, 50))
    black_supply, cyan = Supply.objects.order_by("index")
    cartridges = [toner]
    assert services.matching_cartridge(black_supply, cartridges) == toner
    assert services.matching_cartridge(cyan, cartridges) is None
    assert toner.cost_per_page == Decimal("79.99") / 2900


def test_the_reorder_is_one_task_a_day_with_the_estimated_cost(highfield, tech, toner):
    services.cartridge_save(actor=tech, school=highfield, cartridge=toner, name=toner.name, part_number="W1490A",
                            reorder_level=2, reorder_quantity=3, unit_cost=Decimal("80.00"))  # fmt: skip
    task = services.reorder_raise(actor=tech, school=highfield, now=T0)
    assert task.title == "Reorder printer consumables (1 line, about £240.00)"
    assert [step.text for step in task.steps.all()] == [
        "Order 3 × HP 149A black (W1490A): 2 in stock, reorder at 2, about £240.00"
    ]
    assert services.reorder_raise(actor=tech, school=highfield, now=T0) == task
    services.stock_move(actor=tech, cartridge=toner, kind=MovementKind.RECEIVED, quantity=3)
    assert services.reorder_raise(actor=tech, school=highfield, now=T0 + DAY) is None


def test_printers_and_queues_refuse_what_does_not_fit(highfield, riverside, tech, tech2, printer):
    desktop = cmdb.ci_create(school=highfield, actor=tech, kind="desktop", name="HF-PC-01")
    with pytest.raises(ValidationError) as error:
        services.printer_add(actor=tech, ci=desktop)
    assert "not a printer" in error.value.message_dict["ci"][0]
    with pytest.raises(ValidationError):
        services.printer_add(actor=tech, ci=printer.ci)
    server = cmdb.ci_create(school=highfield, actor=tech, kind="server", name="HF-FS-01")
    queue = services.queue_save(actor=tech, school=highfield, name="Staffroom", server=server, printer=printer)
    with pytest.raises(ValidationError) as error:
        services.queue_save(actor=tech, school=highfield, name="staffroom", server=server, printer=printer)
    assert error.value.message_dict["name"] == ["HF-FS-01 already has a queue named staffroom."]
    with pytest.raises(PermissionDenied):
        services.queue_save(actor=tech2, school=highfield, queue=queue, name="Taken")
