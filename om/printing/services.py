"""Print and Output Management: every operation that changes state (FITS OM, Print and Output Management).

People add printers and queues, keep the cartridge list and move stock; the reading run (om/printing/reading.py)
records what each printer said through `printer_record_reading` / `printer_record_failure`, which keep the
history, the daily usage and the replenishment episodes: one task per supply and episode, raised through
incidents.task_services.task_raise (idempotent on its source key), bumped when the supply runs out, completed
when the printer reports a new cartridge (the stock going down by one when one was on the shelf).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cmdb.models import ConfigurationItem, Kind
from fits import access
from fits.models import School, User
from incidents import task_services
from incidents.models import OPEN_TASK_STATUSES, Task, TaskOrigin
from om.printing.models import (
    MOVEMENT_SIGN,
    CartridgeColour,
    CartridgeModel,
    MovementKind,
    PageCountReading,
    Printer,
    PrintPolicy,
    PrintQueue,
    PrintUsageDay,
    StockMovement,
    Supply,
    SupplyReading,
    SupplyState,
)

# A level that rises by this many points between two readings is a new cartridge (toner never refills itself).
REPLACEMENT_JUMP = 20
# The forecast looks at the episode's readings of the last FORECAST_WINDOW, needing FORECAST_MIN_READINGS over at
# least FORECAST_MIN_SPAN.
FORECAST_WINDOW = timedelta(days=30)
FORECAST_MIN_READINGS = 3
FORECAST_MIN_SPAN = timedelta(hours=12)
PRINTER_KINDS = (Kind.PRINTER,)


def _require_manage(actor: User, school: Any) -> None:
    access.require(
        access.can_manage_printing, actor, school, "Only technicians and the network manager keep printers and stock."
    )


def policy_for(school: School | int) -> PrintPolicy:
    """The school's print policy figures (the defaults, unsaved, when nobody has set them)."""
    school_id = getattr(school, "pk", school)
    return PrintPolicy.objects.filter(school_id=school_id).first() or PrintPolicy(school_id=school_id)


# =============================================================================
# The policy's figures
# =============================================================================

POLICY_FIELDS = ("default_duplex", "colour_rule", "staff_quota_pages", "pupil_quota_pages", "low_supply_percent",
                 "lead_school_days", "retention_days")  # fmt: skip


@transaction.atomic
def print_policy_save(*, actor: User, school: School, **fields: Any) -> PrintPolicy:
    """Set what the print policy fixes in figures (the network manager: the policy is theirs, FITS OM 7)."""
    access.require(access.can_set_print_policy, actor, school, "Only the network manager sets the print policy.")
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(f"These are not print policy settings: {', '.join(sorted(unknown))}.")
    policy = PrintPolicy.objects.select_for_update().filter(school=school).first() or PrintPolicy(school=school)
    for name, value in fields.items():
        setattr(policy, name, value)
    errors = {}
    if not 1 <= policy.low_supply_percent <= 50:
        errors["low_supply_percent"] = "Give a level between 1 and 50 %."
    if not 0 <= policy.lead_school_days <= 60:
        errors["lead_school_days"] = "Give a lead time between 0 and 60 school days."
    if not 7 <= policy.retention_days <= 3650:
        errors["retention_days"] = "Keep readings between 7 and 3650 days."
    if errors:
        raise ValidationError(errors)
    policy.updated_by = actor
    policy.save()
    return policy


# =============================================================================
# Printers and queues
# =============================================================================


@transaction.atomic
def printer_add(
    *,
    actor: User,
    ci: ConfigurationItem,
    snmp_credential=None,
    multifunction: bool = False,
    colour: bool | None = None,
    reading_enabled: bool = True,
) -> Printer:
    """Start watching a printer CI: its supplies and page counter are read at the next run."""
    _require_manage(actor, ci.school)
    errors = {}
    if ci.kind not in PRINTER_KINDS:
        errors["ci"] = f"{ci} is a {ci.get_kind_display().lower()}, not a printer: set its kind in the CMDB first."
    elif Printer.objects.filter(ci=ci).exists():
        errors["ci"] = f"{ci} is already watched."
    if snmp_credential is not None and snmp_credential.school_id != ci.school_id:
        errors["snmp_credential"] = f"Choose an SNMP credential of {ci.school}."
    if errors:
        raise ValidationError(errors)
    if colour is None:
        colour = bool((ci.attributes or {}).get("colour"))
    return Printer.objects.create(
        school_id=ci.school_id, ci=ci, snmp_credential=snmp_credential, multifunction=multifunction, colour=colour,
        reading_enabled=reading_enabled,
    )  # fmt: skip


@transaction.atomic
def printer_update(*, actor: User, printer: Printer, **fields: Any) -> Printer:
    """Change how a printer is read (its credential, whether it is read) and what it is (colour, multifunction)."""
    allowed = {"snmp_credential", "multifunction", "colour", "reading_enabled"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"These cannot be changed on a printer: {', '.join(sorted(unknown))}.")
    printer = Printer.objects.select_for_update().get(pk=printer.pk)
    _require_manage(actor, printer)
    credential = fields.get("snmp_credential")
    if credential is not None and credential.school_id != printer.school_id:
        raise ValidationError({"snmp_credential": f"Choose an SNMP credential of {printer.school}."})
    for name, value in fields.items():
        setattr(printer, name, value)
    printer.save()
    return printer


@transaction.atomic
def queue_save(*, actor: User, school: School, queue: PrintQueue | None = None, **fields: Any) -> PrintQueue:
    """Record a print queue (or change one): its server, its printer, its driver and defaults, where it is deployed."""
    _require_manage(actor, school)
    if queue is not None:
        queue = PrintQueue.objects.select_for_update().get(pk=queue.pk)
        if queue.school_id != school.pk:
            raise ValidationError(f"{queue} is a queue of another school.")
    else:
        queue = PrintQueue(school=school)
    for name, value in fields.items():
        setattr(queue, name, value.strip() if isinstance(value, str) else value)
    errors = {}
    if not queue.name:
        errors["name"] = "Give the queue its share name (e.g. “Staffroom-Mono”)."
    printer = queue.printer if queue.printer_id else None
    if printer is None:
        errors["printer"] = "Choose the printer the queue prints to."
    elif printer.school_id != school.pk:
        errors["printer"] = f"{printer} is a printer of another school."
    if queue.server_id and queue.server.school_id != school.pk:
        errors["server"] = f"{queue.server} is a server of another school."
    elif queue.server_id and queue.server.kind != Kind.SERVER:
        errors["server"] = f"{queue.server} is not a server."
    duplicate = PrintQueue.objects.filter(school=school, server_id=queue.server_id, name__iexact=queue.name)
    if queue.name and duplicate.exclude(pk=queue.pk).exists():
        errors["name"] = f"{queue.server or 'Direct printing'} already has a queue named {queue.name}."
    if errors:
        raise ValidationError(errors)
    queue.save()
    return queue


# =============================================================================
# Consumables and stock
# =============================================================================

CARTRIDGE_FIELDS = ("name", "part_number", "colour", "yield_pages", "unit_cost", "printer_models", "reorder_level",
                    "reorder_quantity")  # fmt: skip


@transaction.atomic
def cartridge_save(
    *, actor: User, school: School, cartridge: CartridgeModel | None = None, **fields: Any
) -> CartridgeModel:
    """Add a consumable to the school's stock list (or change one). Stock changes only by movements."""
    _require_manage(actor, school)
    unknown = set(fields) - set(CARTRIDGE_FIELDS)
    if unknown:
        raise ValidationError(f"These cannot be set on a cartridge: {', '.join(sorted(unknown))}.")
    if cartridge is not None:
        cartridge = CartridgeModel.objects.select_for_update().get(pk=cartridge.pk)
        if cartridge.school_id != school.pk:
            raise ValidationError(f"{cartridge} is on another school's list.")
    else:
        cartridge = CartridgeModel(school=school)
    for name, value in fields.items():
        setattr(cartridge, name, value.strip() if isinstance(value, str) else value)
    cartridge.printer_models = ", ".join(name.strip() for name in cartridge.printer_models.split(",") if name.strip())
    errors = {}
    if not cartridge.name:
        errors["name"] = "Name the cartridge (e.g. “HP 415A black toner”)."
    if not cartridge.part_number:
        errors["part_number"] = "Give the maker's part number (e.g. W2030A): it is what the supplier needs."
    elif (
        CartridgeModel.objects.filter(school=school, part_number__iexact=cartridge.part_number)
        .exclude(pk=cartridge.pk)
        .exists()
    ):
        errors["part_number"] = f"{cartridge.part_number} is already on the list."
    if cartridge.unit_cost is not None and cartridge.unit_cost < 0:
        errors["unit_cost"] = "A cost cannot be negative."
    if errors:
        raise ValidationError(errors)
    cartridge.save()
    return cartridge


def _move_stock(
    cartridge: CartridgeModel, kind: str, quantity: int, *, actor: User | None, note: str, printer: Printer | None,
    now: datetime,
) -> StockMovement:  # fmt: skip
    change = MOVEMENT_SIGN[kind] * quantity
    if cartridge.stock_on_hand + change < 0:
        raise ValidationError(
            {"quantity": f"Only {cartridge.stock_on_hand} of {cartridge} in stock: cannot take {quantity} out."}
        )
    cartridge.stock_on_hand += change
    cartridge.save(update_fields=["stock_on_hand"])
    return StockMovement.objects.create(
        school_id=cartridge.school_id, cartridge=cartridge, kind=kind, quantity=quantity,
        stock_after=cartridge.stock_on_hand, printer=printer, note=note[:300], actor=actor, at=now,
    )  # fmt: skip


@transaction.atomic
def stock_move(
    *,
    actor: User,
    cartridge: CartridgeModel,
    kind: str,
    quantity: int,
    note: str = "",
    printer: Printer | None = None,
    now: datetime | None = None,
) -> StockMovement:
    """Record cartridges received from a supplier, fitted in a printer or written off (damaged, expired)."""
    cartridge = CartridgeModel.objects.select_for_update().get(pk=cartridge.pk)
    _require_manage(actor, cartridge)
    errors = {}
    if kind not in MovementKind.values:
        errors["kind"] = f"{kind!r} is not a stock movement: received, fitted or written_off."
    if not isinstance(quantity, int) or quantity < 1 or quantity > 1000:
        errors["quantity"] = "Give a quantity between 1 and 1000."
    if printer is not None and printer.school_id != cartridge.school_id:
        errors["printer"] = f"{printer} is a printer of another school."
    if kind == MovementKind.WRITTEN_OFF and not (note or "").strip():
        errors["note"] = "Say why the cartridges are written off (damaged, expired, wrong model)."
    if errors:
        raise ValidationError(errors)
    movement = _move_stock(cartridge, kind, quantity, actor=actor, note=(note or "").strip(), printer=printer,
                           now=now or timezone.now())  # fmt: skip
    if kind == MovementKind.RECEIVED and cartridge.unit_cost:  # Financial Management takes it against the budget
        from finance.services import consumables_receipt_record

        consumables_receipt_record(movement=movement, unit_cost=cartridge.unit_cost, actor=actor)
    return movement


@transaction.atomic
def reorder_raise(*, actor: User, school: School, now: datetime | None = None) -> Task | None:
    """Raise the reorder as a task listing what is at or below its reorder level, with the estimated cost (one task
    a day at most; None when nothing needs ordering). Financial Management will take the order against the budget."""
    _require_manage(actor, school)
    today = timezone.localdate(now or timezone.now())
    lines = list(CartridgeModel.objects.filter(school=school).to_reorder().order_by("name"))
    if not lines:
        return None
    total = sum((c.reorder_cost or Decimal(0) for c in lines), Decimal(0))
    steps = [
        f"Order {c.reorder_quantity} × {c.name} ({c.part_number}): {c.stock_on_hand} in stock, reorder at "
        f"{c.reorder_level}" + (f", about £{c.reorder_cost:,.2f}" if c.reorder_cost is not None else "")
        for c in lines
    ]
    return task_services.task_raise(
        school=school,
        title=f"Reorder printer consumables ({len(lines)} line{'s' if len(lines) != 1 else ''}, about £{total:,.2f})",
        description="Raised from the consumables' reorder list. Record each delivery as “received” on the "
        "cartridge's page so the stock is right.",
        steps=steps,
        origin=TaskOrigin.REPLENISHMENT,
        due_on=today + timedelta(days=7),
        source_key=f"printing:reorder:{school.pk}:{today.isoformat()}",
        actor=actor,
    )


@transaction.atomic
def supply_set_cartridge(*, actor: User, supply: Supply, cartridge: CartridgeModel | None) -> Supply:
    """Say which cartridge a supply takes (when the printer model alone does not tell)."""
    supply = Supply.objects.select_for_update().get(pk=supply.pk)
    _require_manage(actor, supply)
    if cartridge is not None and cartridge.school_id != supply.school_id:
        raise ValidationError({"cartridge": f"{cartridge} is on another school's list."})
    supply.cartridge = cartridge
    supply.save(update_fields=["cartridge"])
    return supply


def matching_cartridge(supply: Supply, cartridges: list[CartridgeModel]) -> CartridgeModel | None:
    """The cartridge a supply takes: the one set by hand, else one listed for the printer's model in its colour."""
    if supply.cartridge_id:
        return next((c for c in cartridges if c.pk == supply.cartridge_id), supply.cartridge)
    model = (supply.printer.ci.model_name or "").strip().lower()
    if not model:
        return None
    colour = supply.colour or CartridgeColour.OTHER
    for cartridge in cartridges:
        if model in cartridge.model_names and cartridge.colour == colour:
            return cartridge
    return None


# =============================================================================
# What the printers said
# =============================================================================


@dataclass
class ReadingResult:
    supplies: list[Supply] = field(default_factory=list)
    tasks_raised: int = 0


def _percent(level: int | None, max_capacity: int | None) -> int | None:
    if level is None or level < 0 or not max_capacity or max_capacity <= 0:
        return None
    return max(0, min(100, round(100 * level / max_capacity)))


def _state(level: int | None, percent: int | None) -> str:
    if level == 0 or percent == 0:
        return SupplyState.EMPTY
    if level == -3:
        return SupplyState.SOME
    if percent is None:
        return SupplyState.UNKNOWN
    return SupplyState.OK


def forecast_runs_out(points: list[tuple[datetime, int]]) -> date | None:
    """The day a supply reaches 0 %, by the least-squares slope of its recent (time, %) readings; None when too few
    readings, too short a span, or a level that is not falling."""
    if len(points) < FORECAST_MIN_READINGS:
        return None
    points = sorted(points)
    if points[-1][0] - points[0][0] < FORECAST_MIN_SPAN:
        return None
    origin = points[0][0]
    xs = [(when - origin).total_seconds() / 86400 for when, _ in points]
    ys = [float(percent) for _, percent in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread  # % a day
    if slope >= 0:
        return None
    days_left = ys[-1] / -slope
    if days_left > 3650:
        return None
    return timezone.localdate(points[-1][0] + timedelta(days=days_left))


def school_days_until(school: School, day: date, today: date, *, dates=None) -> int:
    """Open school days from tomorrow up to `day` (the school's calendar; weekdays when it knows no terms)."""
    if day <= today:
        return 0
    count, current = 0, today
    while current < day and count <= 366:
        current += timedelta(days=1)
        open_day = dates.is_open_day(current) if dates is not None else current.weekday() < 5
        count += open_day
    return count


def _school_dates(school_id: int):
    from availability.maintenance import school_dates

    try:
        return school_dates(School.objects.get(pk=school_id))
    except Exception:  # a school without any calendar still forecasts, on weekdays
        return None


def _supply_task(supply: Supply, printer: Printer, cartridge: CartridgeModel | None, why: str, due: date) -> Task:
    ci = printer.ci
    where = ci.location.path if ci.location_id else "no room recorded"
    if cartridge is None:
        stock = (
            "No cartridge on the stock list matches it: add one under Consumables, or name it on the printer's page."
        )
    elif cartridge.stock_on_hand > 0:
        stock = f"{cartridge.stock_on_hand} in stock: fit one."
    else:
        stock = "None in stock: order one now (it is on the reorder list)."
    needs = f"{cartridge.name} ({cartridge.part_number})" if cartridge else supply.description
    return task_services.task_raise(
        school=printer.school,
        title=f"Replace {supply.description} in {ci.name}",
        description=f"{why}\nCartridge: {needs}. {stock}\nPrinter: {ci.name}, {where}"
        + (f" ({ci.management_address})" if ci.management_address else "")
        + ".\nWhen the printer reports the new cartridge the task completes itself and the stock goes down by one.",
        steps=[f"Fit a new {needs}", "Check the printer prints a test page", "Recycle the used cartridge"],
        origin=TaskOrigin.REPLENISHMENT,
        due_on=due,
        ci=ci,
        location=ci.location if ci.location_id else None,
        source=supply,
        source_key=f"printing:supply:{supply.pk}:{supply.episode}",
    )


@transaction.atomic
def printer_record_reading(*, printer: Printer, answer, now: datetime | None = None) -> ReadingResult:
    """Record one answer of a printer (reading.PrinterAnswer): page count and usage, each supply's level and
    history, and the replenishment episodes."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    today = timezone.localdate(now)
    printer = (
        Printer.objects.select_for_update(of=("self",))
        .select_related("ci", "ci__location", "school")
        .get(pk=printer.pk)
    )
    policy = policy_for(printer.school_id)
    result = ReadingResult()
    # --- the page counter and the day's usage (a lower count is a reset: a new baseline) --------------------
    if answer.page_count is not None:
        previous = printer.page_count
        if previous is not None and answer.page_count > previous:
            usage, _ = PrintUsageDay.objects.get_or_create(school_id=printer.school_id, printer=printer, day=today)
            PrintUsageDay.objects.filter(pk=usage.pk).update(pages=F("pages") + (answer.page_count - previous))
        printer.page_count = answer.page_count
        PageCountReading.objects.create(school_id=printer.school_id, printer=printer, read_at=now,
                                        count=answer.page_count)  # fmt: skip
    printer.last_read_at, printer.last_error, printer.failing_since = now, "", None
    printer.save(update_fields=["page_count", "last_read_at", "last_error", "failing_since"])
    # --- the supplies --------------------------------------------------------------------------------------
    existing = {s.index: s for s in Supply.objects.select_for_update().filter(printer=printer).order_by("pk")}
    cartridges = list(CartridgeModel.objects.filter(school_id=printer.school_id))
    recent = {}
    for supply_id, read_at, percent in (
        SupplyReading.objects.filter(supply__printer=printer, read_at__gte=now - FORECAST_WINDOW, percent__isnull=False)
        .order_by("read_at")
        .values_list("supply_id", "read_at", "percent")
    ):
        recent.setdefault(supply_id, []).append((read_at, percent))
    dates = None
    system = get_user_model().objects.system_account()
    for row in answer.supplies:
        supply = existing.get(row.index) or Supply(school_id=printer.school_id, printer=printer, index=row.index)
        supply.printer = printer
        old_percent, old_state = supply.percent, supply.state if supply.pk else SupplyState.UNKNOWN
        percent = _percent(row.level, row.max_capacity)
        supply.description, supply.supply_type, supply.unit = row.description[:200], row.supply_type, row.unit
        supply.max_capacity, supply.level, supply.percent = row.max_capacity, row.level, percent
        supply.state, supply.last_read_at = _state(row.level, percent), now
        cartridge = matching_cartridge(supply, cartridges)
        replaced = percent is not None and (
            (old_percent is not None and percent - old_percent >= REPLACEMENT_JUMP)
            or (old_state == SupplyState.EMPTY and percent >= REPLACEMENT_JUMP)
        )
        if replaced:
            _end_episode(supply, printer, cartridge, old_percent, percent, now, system)
        supply.save()
        SupplyReading.objects.create(school_id=printer.school_id, supply=supply, read_at=now,
                                     level=row.level if row.level is not None else -2, percent=percent)  # fmt: skip
        points = [] if replaced else [p for p in recent.get(supply.pk, []) if not supply.replaced_at or
                                      p[0] >= supply.replaced_at]  # fmt: skip
        if percent is not None:
            points.append((now, percent))
        supply.runs_out_on = forecast_runs_out(points) if supply.state == SupplyState.OK else None
        why = ""
        if supply.state == SupplyState.EMPTY:
            why = f"{supply.description} is empty (the printer reports {supply.level_display})."
        elif percent is not None and percent <= policy.low_supply_percent:
            why = f"{supply.description} is at {percent} %, at or below the {policy.low_supply_percent} % threshold."
        elif supply.runs_out_on is not None:
            dates = dates or _school_dates(printer.school_id)
            left = school_days_until(printer.school, supply.runs_out_on, today, dates=dates)
            if left <= policy.lead_school_days:
                why = (f"{supply.description} is at {percent} % and, at its recent rate, runs out about "
                       f"{supply.runs_out_on:%-d %b %Y} ({left} school days, within the {policy.lead_school_days}-day "
                       "lead time).")  # fmt: skip
        if why:
            if supply.state == SupplyState.OK:
                supply.state = SupplyState.LOW
            supply.low_since = supply.low_since or now
            due = min(supply.runs_out_on or today + timedelta(days=7), today + timedelta(days=7))
            task = _supply_task(supply, printer, cartridge, why, max(due, today))
            if supply.task_id != task.pk:
                result.tasks_raised += 1
            supply.task = task
            if supply.state == SupplyState.EMPTY and supply.empty_since is None:
                supply.empty_since = now
                _bump(task, supply, system, today)
        elif supply.state != SupplyState.EMPTY:
            supply.empty_since = None
        supply.save()
        result.supplies.append(supply)
    return result


def _end_episode(supply: Supply, printer: Printer, cartridge, old_percent, percent, now, system) -> None:
    """The supply was replaced: close its episode (and its task), take a cartridge off the shelf if one was there,
    and note how many pages the last cartridge gave."""
    if printer.page_count is not None:
        if supply.pages_at_replacement is not None and printer.page_count > supply.pages_at_replacement:
            supply.pages_last_cartridge = printer.page_count - supply.pages_at_replacement
        supply.pages_at_replacement = printer.page_count
    rose = f"rose from {old_percent if old_percent is not None else 0} % to {percent} %"
    if cartridge is not None and cartridge.stock_on_hand > 0:
        locked = CartridgeModel.objects.select_for_update().get(pk=cartridge.pk)
        if locked.stock_on_hand > 0:
            _move_stock(locked, MovementKind.FITTED, 1, actor=None, printer=printer, now=now,
                        note=f"Fitted in {printer.ci.name}: its {supply.description} {rose}.")  # fmt: skip
            cartridge.stock_on_hand = locked.stock_on_hand
    task = supply.task
    if task is not None and task.status in OPEN_TASK_STATUSES:
        task_services.task_complete(
            task=task, actor=system, now=now,
            outcome=f"{printer.ci.name} reports a new {supply.description}: its level {rose}.",
        )  # fmt: skip
    supply.episode += 1
    supply.task, supply.low_since, supply.empty_since, supply.replaced_at = None, None, None, now


def _bump(task: Task, supply: Supply, system: User, today: date) -> None:
    """The supply ran out with its task not done: the task is due today and says so."""
    task = Task.objects.get(pk=task.pk)
    if task.status not in OPEN_TASK_STATUSES:
        return
    title = task.title if task.title.startswith("Out: ") else f"Out: {task.title}"[:200]
    task_services.task_update(task=task, actor=system, title=title, due_on=today)


@transaction.atomic
def printer_record_failure(*, printer: Printer, message: str, now: datetime | None = None) -> Printer:
    """The printer did not answer: say why on it, and since when (its supplies keep their last levels)."""
    now = now or timezone.now()
    printer = Printer.objects.select_for_update().get(pk=printer.pk)
    printer.last_error = message[:300]
    printer.failing_since = printer.failing_since or now
    printer.save(update_fields=["last_error", "failing_since"])
    return printer


def readings_prune(*, now: datetime | None = None) -> int:
    """Delete readings older than each school's retention (daily usage stays). Returns how many went."""
    now = now or timezone.now()
    removed = 0
    days_by_school = dict(PrintPolicy.objects.values_list("school_id", "retention_days"))
    school_ids = set(Printer.objects.values_list("school_id", flat=True).distinct())
    for school_id in school_ids:
        cutoff = now - timedelta(days=days_by_school.get(school_id, PrintPolicy().retention_days))
        removed += SupplyReading.objects.filter(school_id=school_id, read_at__lt=cutoff).delete()[0]
        removed += PageCountReading.objects.filter(school_id=school_id, read_at__lt=cutoff).delete()[0]
    return removed
