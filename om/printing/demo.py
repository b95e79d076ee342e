"""The demo's Print and Output Management (seed_demo), at highfield: its printers watched, six weeks of daily readings
replayed through the services (so the usage, the supply history and the tasks are what the reading run would have
made), a stock list with one cartridge below its reorder level, print queues on the file server and the policy's
figures. The office colour printer's cyan toner is low now (its replenishment task is open); the staff room printer
had its black toner replaced three weeks ago (its task completed itself and the stock went down by one).
Skipped once highfield has a printer watched.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from cmdb.models import ConfigurationItem, Kind
from fits.models import School, User
from om.printing import services
from om.printing.models import Printer
from om.printing.reading import PrinterAnswer, SupplyRow

DAYS = 45
CARTRIDGES = [
    # (name, part number, colour, yield, cost, fits, stock, reorder level)
    ("HP 149A black toner", "W1490A", "black", 2900, "79.99", "LaserJet Pro 4002dne", 3, 1),
    ("Kyocera TK-5345K black toner", "TK-5345K", "black", 17000, "112.00", "TASKalfa 3253ci", 2, 1),
    ("Kyocera TK-5345C cyan toner", "TK-5345C", "cyan", 9000, "158.00", "TASKalfa 3253ci", 0, 1),
    ("Kyocera TK-5345M magenta toner", "TK-5345M", "magenta", 9000, "158.00", "TASKalfa 3253ci", 2, 1),
    ("Kyocera TK-5345Y yellow toner", "TK-5345Y", "yellow", 9000, "158.00", "TASKalfa 3253ci", 2, 1),
]


def _colour_levels(day: int) -> list[int]:
    """The office colour printer on day `day` of DAYS: black 80 -> 45, cyan 40 -> 9, magenta 90 -> 70, yellow -3."""
    share = day / DAYS
    return [round(80 - 35 * share), round(40 - 31 * share), round(90 - 20 * share), -3]


def _mono_level(day: int) -> int:
    """The staff room printer: black 30 -> 8 over three weeks, replaced, then 100 -> 65."""
    return round(30 - 22 * day / 24) if day < 25 else round(100 - 35 * (day - 25) / (DAYS - 25))


def seed_printing(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    """At highfield: printers, queues, consumables and six weeks of readings. How many of each were added."""
    school, tech, netmgr = schools.get("highfield"), people.get("tech"), people.get("netmgr")
    if school is None or tech is None or netmgr is None or Printer.objects.filter(school=school).exists():
        return {}
    cis = list(ConfigurationItem.objects.filter(school=school, kind=Kind.PRINTER).select_related("location")
               .order_by("name"))  # fmt: skip
    colour = next((ci for ci in cis if "TASKalfa" in ci.model_name), None)
    lasers = [ci for ci in cis if "LaserJet" in ci.model_name]
    mono = next((ci for ci in lasers if "STAFF" in ci.name.upper()), lasers[0] if lasers else None)
    if colour is None or mono is None:
        return {}
    services.print_policy_save(actor=netmgr, school=school, default_duplex=True, colour_rule="staff",
                               staff_quota_pages=1500, pupil_quota_pages=100)  # fmt: skip
    for name, part, shade, pages, cost, fits, stock, level in CARTRIDGES:
        cartridge = services.cartridge_save(actor=tech, school=school, name=name, part_number=part, colour=shade,
                                            yield_pages=pages, unit_cost=Decimal(cost), printer_models=fits,
                                            reorder_level=level, reorder_quantity=2)  # fmt: skip
        if stock:
            services.stock_move(actor=tech, cartridge=cartridge, kind="received", quantity=stock,
                                note="Opening stock", now=timezone.now() - timedelta(days=DAYS + 1))  # fmt: skip
    office = services.printer_add(actor=tech, ci=colour, multifunction=True, colour=True)
    staff = services.printer_add(actor=tech, ci=mono)
    others = [services.printer_add(actor=tech, ci=ci) for ci in cis if ci not in (colour, mono)][:3]
    server = ConfigurationItem.objects.filter(school=school, kind=Kind.SERVER).order_by("name").first()
    for printer, queue, duplex, colour_default, deployed in (
        (office, "Office-Colour", True, True, "Office staff (GPO: Office users)"),
        (office, "Office-Mono", True, False, "All staff"),
        (staff, "Staffroom", True, False, "All staff (GPO: Staff)"),
    ):
        driver = "Kyocera TASKalfa 3253ci KX" if printer == office else "HP Universal PCL 6"
        services.queue_save(actor=tech, school=school, name=queue, server=server, printer=printer, duplex=duplex,
                            colour=colour_default, deployed_to=deployed, driver=driver)  # fmt: skip
    start = timezone.now().replace(hour=16, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
    office_pages, staff_pages, other_pages = 48000, 120000, 30000
    readings = 0
    for day in range(DAYS + 1):
        now = start + timedelta(days=day)
        weekday = now.weekday() < 5
        office_pages += 160 if weekday else 0
        staff_pages += 85 if weekday else 0
        other_pages += 40 if weekday else 0
        levels = _colour_levels(day)
        services.printer_record_reading(printer=office, now=now, answer=PrinterAnswer(office_pages, [
            SupplyRow(f"1.{n + 1}", f"{name} Toner Cartridge", 3, 19, 100, level)
            for n, (name, level) in enumerate(zip(("Black", "Cyan", "Magenta", "Yellow"), levels, strict=True))
        ]))  # fmt: skip
        services.printer_record_reading(printer=staff, now=now, answer=PrinterAnswer(staff_pages, [
            SupplyRow("1.1", "Black Toner Cartridge", 3, 19, 100, _mono_level(day)),
            SupplyRow("1.2", "Imaging Drum", 9, 7, 30000, 24000 - 100 * day),
        ]))  # fmt: skip
        for other in others:
            services.printer_record_reading(printer=other, now=now, answer=PrinterAnswer(other_pages, [
                SupplyRow("1.1", "Black Toner Cartridge", 3, 19, 100, round(85 - 20 * day / DAYS)),
            ]))  # fmt: skip
        readings += 2 + len(others)
    return {"printers": 2 + len(others), "cartridges": len(CARTRIDGES), "queues": 3, "readings": readings}
