"""Reading printers over SNMP (Printer-MIB, RFC 3805): supply levels and page counters, many printers at once.

`read_printers` picks each printer's agent the way availability's SNMP checks do (availability.runner.snmp_client:
the CI's management address, "host:port" allowed; the printer's SNMP credential, else the one an SNMP check of the
CI uses, else v2c "public"), asks all of them in parallel under a bound (asyncio), and then writes each answer
through om.printing.services in its own transaction: one printer's silence is recorded on it ("no answer since")
and never stops the others.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

# prtMarkerSuppliesEntry: .5 type, .6 description, .7 unit, .8 max capacity, .9 level (index: device.supply).
SUPPLIES_ENTRY = "1.3.6.1.2.1.43.11.1.1"
SUPPLY_COLUMNS = {5: "supply_type", 6: "description", 7: "unit", 8: "max_capacity", 9: "level"}
# prtMarkerLifeCount (index: device.marker): impressions over the printer's life.
MARKER_LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4"

DEFAULT_CONCURRENCY = 32
DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 1


@dataclass(frozen=True)
class SupplyRow:
    index: str
    description: str
    supply_type: int
    unit: int
    max_capacity: int | None
    level: int | None


@dataclass(frozen=True)
class PrinterAnswer:
    page_count: int | None
    supplies: list[SupplyRow]


@dataclass
class ReadOutcome:
    """What one printer answered (or why it did not), for the command's table and the tests."""

    printer_id: int
    name: str
    school: str
    where: str
    error: str = ""
    page_count: int | None = None
    supplies: list[tuple[str, str]] = field(default_factory=list)  # (description, level as shown)
    tasks_raised: int = 0

    @property
    def ok(self) -> bool:
        return not self.error


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1", errors="replace")
    return str(value if value is not None else "").strip()


async def printer_mib(client) -> PrinterAnswer:
    """The printer's supplies table and page counter, as plain values (raises SnmpFailure)."""
    from availability.snmp import SnmpFailure

    rows: dict[str, dict[str, Any]] = {}
    prefix = SUPPLIES_ENTRY + "."
    for oid, value in (await client.walk(SUPPLIES_ENTRY)).items():
        column, _, index = oid[len(prefix) :].partition(".")
        name = SUPPLY_COLUMNS.get(_int(column) or 0)
        if name and index:
            rows.setdefault(index, {})[name] = value
    if not rows:
        raise SnmpFailure(f"{client.where} has no Printer-MIB supplies table (prtMarkerSuppliesTable)")
    counts = [_int(value) for value in (await client.walk(MARKER_LIFE_COUNT)).values()]
    counts = [count for count in counts if count is not None and count >= 0]
    supplies = [
        SupplyRow(
            index=index,
            description=_text(row.get("description")) or f"Supply {index}",
            supply_type=_int(row.get("supply_type")) or 1,
            unit=_int(row.get("unit")) or 19,
            max_capacity=_int(row.get("max_capacity")),
            level=_int(row.get("level")),
        )
        for index, row in sorted(rows.items(), key=lambda item: [int(p) for p in item[0].split(".") if p.isdigit()])
    ]
    # The first marker's count: a colour laser has one marker; summing several would count a page twice.
    return PrinterAnswer(page_count=counts[0] if counts else None, supplies=supplies)


def client_for(printer, credential, *, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES):
    """The SnmpClient for a printer, built as availability builds one for an SNMP check."""
    from availability.runner import snmp_client

    check_like = SimpleNamespace(snmp_credential=credential, timeout_seconds=timeout, retries=retries)
    return snmp_client(check_like, (printer.ci.management_address or "").strip())


async def _ask_all(targets: list[tuple[int, Any]], concurrency: int) -> dict[int, PrinterAnswer | str]:
    from availability.snmp import SnmpFailure

    bound = asyncio.Semaphore(max(1, concurrency))

    async def one(pk: int, client) -> tuple[int, PrinterAnswer | str]:
        async with bound:
            try:
                return pk, await printer_mib(client)
            except SnmpFailure as failure:
                return pk, str(failure)
            except Exception as error:  # one printer's surprise never stops the others
                return pk, f"reading {client.where} failed: {error or type(error).__name__}"

    return dict(await asyncio.gather(*(one(pk, client) for pk, client in targets)))


def credentials_for(printers) -> dict[int, Any]:
    """{printer pk: credential}: its own, else the one an SNMP check of its CI uses (None: v2c "public")."""
    from availability.models import Check

    from_checks: dict[int, Any] = {}
    checks = (
        Check.objects.filter(ci_id__in=[p.ci_id for p in printers], snmp_credential__isnull=False)
        .select_related("snmp_credential")
        .order_by("pk")
    )
    for check in sorted(checks, key=lambda check: (check.status != Check.Status.ACTIVE, check.pk)):
        from_checks.setdefault(check.ci_id, check.snmp_credential)
    return {p.pk: p.snmp_credential or from_checks.get(p.ci_id) for p in printers}


def read_printers(
    *,
    school_id: int | None = None,
    printer_ids: list[int] | None = None,
    now: datetime | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
) -> list[ReadOutcome]:
    """Read every printer that is read over SNMP (at one school, or these), and record what each answered."""
    from om.printing import services
    from om.printing.models import Printer

    now = now or timezone.now()
    printers = Printer.objects.filter(reading_enabled=True).select_related("ci", "school", "snmp_credential")
    if school_id is not None:
        printers = printers.filter(school_id=school_id)
    if printer_ids is not None:
        printers = printers.filter(pk__in=printer_ids)
    printers = list(printers.order_by("school__name", "ci__name", "pk"))
    credentials = credentials_for(printers)
    outcomes: dict[int, ReadOutcome] = {}
    targets = []
    for printer in printers:
        outcome = ReadOutcome(printer.pk, printer.ci.name, printer.school.slug, printer.ci.management_address)
        outcomes[printer.pk] = outcome
        if not printer.ci.management_address.strip():
            outcome.error = f"{printer.ci.name} has no management address in the CMDB"
            continue
        client = client_for(printer, credentials[printer.pk], timeout=timeout, retries=retries)
        outcome.where = client.where
        targets.append((printer.pk, client))
    answers = asyncio.run(_ask_all(targets, concurrency)) if targets else {}
    for printer in printers:
        outcome = outcomes[printer.pk]
        answer = answers.get(printer.pk, outcome.error)
        if isinstance(answer, str):
            outcome.error = answer
            services.printer_record_failure(printer=printer, message=answer, now=now)
            continue
        result = services.printer_record_reading(printer=printer, answer=answer, now=now)
        outcome.page_count = answer.page_count
        outcome.supplies = [(supply.description, supply.level_display) for supply in result.supplies]
        outcome.tasks_raised = result.tasks_raised
    return list(outcomes.values())
