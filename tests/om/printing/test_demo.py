"""The demo's Print and Output Management: printers with supplies at various levels (the office's cyan low with its
task), a stock list with one cartridge below its reorder level, a replacement that took one off the shelf, usage
history; seeding again adds nothing."""

from __future__ import annotations

import pytest

from cmdb.services import ci_create
from incidents.models import Task, TaskOrigin, TaskStatus
from om.printing.demo import seed_printing
from om.printing.models import CartridgeModel, Printer, PrintQueue, PrintUsageDay, StockMovement, Supply, SupplyState

pytestmark = pytest.mark.django_db


def test_the_demo_shows_each_part_and_is_seeded_once(highfield, cast, tech):
    ci_create(school=highfield, actor=tech, kind="printer", name="HF-OFF-PRN", model_name="TASKalfa 3253ci",
              management_address="10.1.10.20")  # fmt: skip
    ci_create(school=highfield, actor=tech, kind="printer", name="HF-STAFF-PRN", model_name="LaserJet Pro 4002dne")
    ci_create(school=highfield, actor=tech, kind="server", name="HF-FS-01")

    added = seed_printing({"highfield": highfield}, cast)

    assert added["printers"] == 2 and added["queues"] == 3 and PrintQueue.objects.count() == 3
    low = Supply.objects.filter(state=SupplyState.LOW)
    assert [(s.printer.ci.name, s.description) for s in low] == [("HF-OFF-PRN", "Cyan Toner Cartridge")]
    tasks = Task.objects.filter(origin=TaskOrigin.REPLENISHMENT)
    assert sorted(tasks.values_list("status", flat=True)) == [TaskStatus.DONE, TaskStatus.OPEN]
    assert tasks.get(status=TaskStatus.OPEN).title == "Replace Cyan Toner Cartridge in HF-OFF-PRN"
    assert "None in stock: order one now" in tasks.get(status=TaskStatus.OPEN).description
    assert [c.part_number for c in CartridgeModel.objects.to_reorder()] == ["TK-5345C"]
    fitted = StockMovement.objects.get(kind="fitted")
    assert fitted.cartridge.part_number == "W1490A" and fitted.stock_after == 2
    assert PrintUsageDay.objects.filter(pages__gt=0).count() >= 40
    assert Printer.objects.get(ci__name="HF-OFF-PRN").page_count > 48000
    assert seed_printing({"highfield": highfield}, cast) == {}
