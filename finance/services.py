"""Every change of Financial Management's records: the school's finance settings, depreciation defaults and role
rates, a CI's own depreciation, suppliers, contracts (renewed, cancelled, and the alert before their notice date),
budgets with their spending plans, and the expenditure record (by hand, from a CSV file, or from another process
such as a cartridge delivery in Print Management).

Each operation is atomic and checks its predicate (fits/access.py): the financial manager (network manager or
school leader) keeps it all; the desk, as financial administrator, records expenditure. A process (the beat, a
cartridge delivery) passes a `source_key` and is recorded once per key however often it runs.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cmdb.models import ConfigurationItem, Kind
from finance import money
from finance.models import (
    Budget,
    BudgetLine,
    Category,
    CICost,
    Contract,
    ContractStatus,
    DepreciationDefault,
    Expenditure,
    ExpenditureImport,
    FinanceSettings,
    FundingType,
    Method,
    PaymentFrequency,
    RoleRate,
    Stage,
    Supplier,
)
from fits import access, activity
from fits.models import Activity, AuthorityRoleKind, Role, School, User
from fits.notifications import notify
from incidents import task_services
from incidents.models import Task, TaskOrigin

# What a school starts with until its financial manager says otherwise (useful life in years per kind of CI).
DEFAULT_LIFE_YEARS = {
    Kind.DESKTOP: 5,
    Kind.LAPTOP: 3,
    Kind.TABLET: 3,
    Kind.SERVER: 5,
    Kind.STORAGE: 5,
    Kind.PRINTER: 5,
    Kind.DISPLAY: 5,
    Kind.PERIPHERAL: 3,
    Kind.SWITCH: 7,
    Kind.ROUTER: 7,
    Kind.FIREWALL: 5,
    Kind.ACCESS_POINT: 5,
}
RATE_ROLES = (
    Role.DESK,
    Role.TECHNICIAN,
    Role.NETWORK_MANAGER,
    Role.SCHOOL_LEADER,
    AuthorityRoleKind.SUPPORT,
    AuthorityRoleKind.CONSULTANT,
)
MANAGE = "Only the network manager and school leaders (the financial manager) do this."


def _require_manage(actor: User, obj: Any) -> None:
    access.require(access.can_manage_finance, actor, obj, MANAGE)


def _money(value: Any, field: str, *, allow_negative: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value).replace("£", "").replace(",", "").strip())
    except (InvalidOperation, TypeError) as error:
        raise ValidationError({field: f"{value!r} is not an amount of money."}) from error
    if not amount.is_finite():
        raise ValidationError({field: f"{value!r} is not an amount of money."})
    if amount < 0 and not allow_negative:
        raise ValidationError({field: "An amount cannot be negative."})
    return money.pennies(amount)


# =============================================================================
# Settings, defaults, rates
# =============================================================================


def settings_for(school: School) -> FinanceSettings:
    """The school's finance settings (unsaved defaults until someone saves them)."""
    found = FinanceSettings.objects.filter(school=school).first()
    return found or FinanceSettings(school=school)


@transaction.atomic
def finance_settings_save(
    *, actor: User, school: School, funding_type: str, pupils: int, alert_days: int = 60, warranty_days: int = 90
) -> FinanceSettings:
    """Say how the school is funded (which sets its financial year), its pupils on roll and how early to warn."""
    _require_manage(actor, school)
    errors = {}
    if funding_type not in FundingType.values:
        errors["funding_type"] = "Choose maintained (April-March) or academy (September-August)."
    if pupils is None or int(pupils) < 0:
        errors["pupils"] = "Give the number of pupils on roll."
    if not 1 <= int(alert_days or 0) <= 365:
        errors["alert_days"] = "Between 1 and 365 days."
    if not 1 <= int(warranty_days or 0) <= 730:
        errors["warranty_days"] = "Between 1 and 730 days."
    if errors:
        raise ValidationError(errors)
    row, created = FinanceSettings.objects.select_for_update().get_or_create(school=school)
    row.funding_type, row.pupils, row.alert_days, row.warranty_days = funding_type, pupils, alert_days, warranty_days
    row.save()
    return row


@transaction.atomic
def depreciation_defaults_save(
    *, actor: User, school: School, life_years: dict[str, int], residual_percent: Decimal | int = 0
) -> int:
    """Set the useful life per kind of CI at the school (straight line); returns how many kinds were set."""
    _require_manage(actor, school)
    errors = {kind: "Between 1 and 30 years." for kind, years in life_years.items() if not 1 <= int(years) <= 30}
    unknown = set(life_years) - set(Kind.values)
    if unknown:
        errors["kind"] = f"Not kinds of CI: {sorted(unknown)}"
    if not 0 <= Decimal(residual_percent) <= 100:
        errors["residual_percent"] = "Between 0 and 100%."
    if errors:
        raise ValidationError(errors)
    for kind, years in life_years.items():
        DepreciationDefault.objects.update_or_create(
            school=school,
            kind=kind,
            defaults={"life_years": int(years), "method": Method.STRAIGHT_LINE, "residual_percent": residual_percent},
        )
    return len(life_years)


@transaction.atomic
def role_rates_save(*, actor: User, school: School, rates: dict[str, Decimal | None]) -> int:
    """Set the school's own hourly rate per role (None: use the authority's or the default)."""
    _require_manage(actor, school)
    unknown = set(rates) - {str(role) for role in RATE_ROLES}
    if unknown:
        raise ValidationError({"role": f"Not roles: {sorted(unknown)}"})
    count = 0
    for role, rate in rates.items():
        if rate is None or rate == "":
            RoleRate.objects.filter(school=school, role=role).delete()
            continue
        RoleRate.objects.update_or_create(
            school=school, authority=None, role=role, defaults={"hourly_rate": _money(rate, role)}
        )
        count += 1
    return count


# =============================================================================
# A CI's own depreciation
# =============================================================================


@transaction.atomic
def ci_cost_save(
    *,
    actor: User,
    ci: ConfigurationItem,
    method: str,
    life_years: int,
    rate_percent: Decimal | None = None,
    residual_value: Decimal | int = 0,
    replace_on: date | None = None,
    notes: str = "",
) -> CICost:
    """Record how one CI loses its value (its cost and purchase date stay in the CMDB)."""
    _require_manage(actor, ci)
    errors = {}
    if method not in Method.values:
        errors["method"] = "Straight line or reducing balance."
    if not life_years or not 1 <= int(life_years) <= 30:
        errors["life_years"] = "Between 1 and 30 years."
    if method == Method.REDUCING_BALANCE and (rate_percent is None or not 0 < Decimal(rate_percent) <= 100):
        errors["rate_percent"] = "Reducing balance needs a rate a year between 0 and 100%."
    residual = _money(residual_value or 0, "residual_value")
    if ci.purchase_cost is not None and residual > ci.purchase_cost:
        errors["residual_value"] = f"The residual value cannot exceed what it cost (£{ci.purchase_cost})."
    if errors:
        raise ValidationError(errors)
    row, _ = CICost.objects.select_for_update().get_or_create(
        ci=ci, defaults={"school_id": ci.school_id, "life_years": life_years}
    )
    row.method, row.life_years, row.rate_percent = method, int(life_years), rate_percent
    row.residual_value, row.replace_on, row.notes = residual, replace_on, notes.strip()[:300]
    row.save()
    activity.record(
        ci,
        actor=actor,
        kind=Activity.Kind.FIELD,
        public=False,
        text=f"Depreciation set: {row.get_method_display()}, {row.life_years} years.",
    )
    return row


# =============================================================================
# Suppliers and contracts
# =============================================================================

SUPPLIER_FIELDS = ("name", "contact", "phone", "email", "account_number", "notes")


@transaction.atomic
def supplier_save(*, actor: User, school: School, supplier: Supplier | None = None, **values: Any) -> Supplier:
    """Record a supplier (or change one): who to call, our account number with them."""
    access.require(access.can_record_expenditure, actor, school, "Only the financial manager and the desk do this.")
    unknown = set(values) - set(SUPPLIER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown supplier fields: {sorted(unknown)}")
    if supplier is not None and supplier.school_id != school.pk:
        raise ValidationError("A supplier stays at its school.")
    supplier = supplier or Supplier(school=school)
    for name, value in values.items():
        setattr(supplier, name, (value or "").strip())
    if not supplier.name:
        raise ValidationError({"name": "Name the supplier."})
    clash = Supplier.objects.filter(school=school, name__iexact=supplier.name).exclude(pk=supplier.pk)
    if clash.exists():
        raise ValidationError({"name": f"{school} already has a supplier called {supplier.name}."})
    supplier.save()
    return supplier


CONTRACT_FIELDS = (
    "supplier",
    "title",
    "kind",
    "reference",
    "starts_on",
    "ends_on",
    "annual_cost",
    "payment_frequency",
    "notice_days",
    "auto_renew",
    "owner",
    "documents",
)


@transaction.atomic
def contract_save(
    *,
    actor: User,
    school: School,
    contract: Contract | None = None,
    cis: list[ConfigurationItem] | None = None,
    **values: Any,
) -> Contract:
    """Record a contract with a supplier (or change it): dates, cost, notice period, the CIs it covers, its owner."""
    _require_manage(actor, school)
    unknown = set(values) - set(CONTRACT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown contract fields: {sorted(unknown)}")
    if contract is not None and contract.school_id != school.pk:
        raise ValidationError("A contract stays at its school.")
    created = contract is None
    contract = contract or Contract(school=school)
    for name, value in values.items():
        setattr(contract, name, value.strip() if isinstance(value, str) else value)
    errors = {}
    if not contract.title:
        errors["title"] = "Say what the contract is for (e.g. Broadband and filtering)."
    if contract.supplier_id is None:
        errors["supplier"] = "Choose the supplier."
    elif contract.supplier.school_id != school.pk:
        errors["supplier"] = f"{contract.supplier} is a supplier of another school."
    if contract.starts_on is None or contract.ends_on is None:
        errors["ends_on"] = "Give the start and end dates."
    elif contract.ends_on < contract.starts_on:
        errors["ends_on"] = "The end comes after the start."
    if contract.annual_cost is None or contract.annual_cost < 0:
        errors["annual_cost"] = "Give the annual cost (0 for a free one)."
    if contract.payment_frequency not in PaymentFrequency.values:
        errors["payment_frequency"] = "Choose how often it is paid."
    if contract.notice_days is None or not 0 <= int(contract.notice_days) <= 730:
        errors["notice_days"] = "Give the notice period in days (0 to 730)."
    if contract.owner_id and not access.can_view_finance.test(contract.owner, school):
        errors["owner"] = f"{contract.owner} cannot see {school}'s contracts."
    strangers = [str(ci) for ci in cis or [] if ci.school_id != school.pk]
    if strangers:
        errors["cis"] = f"{', '.join(strangers)} belong to another school."
    if errors:
        raise ValidationError(errors)
    contract.save()
    if cis is not None:
        contract.cis.set(cis)
    activity.record(
        contract,
        actor=actor,
        kind=Activity.Kind.CREATED if created else Activity.Kind.FIELD,
        public=False,
        text="Contract recorded." if created else "Contract changed.",
    )
    return contract


@transaction.atomic
def contract_renew(
    *, actor: User, contract: Contract, ends_on: date, annual_cost: Decimal | None = None, note: str = ""
) -> Contract:
    """Renew a contract: it is marked renewed and continues as a new contract from the day after it ends."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require_manage(actor, contract)
    if contract.decision:
        raise ValidationError(f"This contract was already {contract.get_decision_display().lower()}.")
    starts_on = contract.ends_on + timedelta(days=1)
    if ends_on is None or ends_on <= starts_on:
        raise ValidationError({"ends_on": f"The renewed contract ends after {starts_on:%d/%m/%Y}."})
    successor = Contract.objects.create(
        school_id=contract.school_id,
        supplier=contract.supplier,
        title=contract.title,
        kind=contract.kind,
        reference=contract.reference,
        starts_on=starts_on,
        ends_on=ends_on,
        annual_cost=contract.annual_cost if annual_cost is None else _money(annual_cost, "annual_cost"),
        payment_frequency=contract.payment_frequency,
        notice_days=contract.notice_days,
        auto_renew=contract.auto_renew,
        owner=contract.owner,
        documents=contract.documents,
    )
    successor.cis.set(contract.cis.all())
    contract.decision, contract.renewed_as = ContractStatus.RENEWED, successor
    contract.save(update_fields=["decision", "renewed_as"])
    _close_alert(contract, actor, f"Renewed to {ends_on:%d/%m/%Y}.")
    activity.record_status(
        contract,
        actor=actor,
        old=ContractStatus.ACTIVE,
        new=ContractStatus.RENEWED,
        note=note or f"Renewed until {ends_on:%d/%m/%Y}.",
    )
    activity.record(
        successor,
        actor=actor,
        kind=Activity.Kind.CREATED,
        public=False,
        text=f"Renewal of the contract ending {contract.ends_on:%d/%m/%Y}.",
    )
    return successor


@transaction.atomic
def contract_cancel(*, actor: User, contract: Contract, note: str) -> Contract:
    """Record that notice was given: the contract ends on its end date and is not renewed."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require_manage(actor, contract)
    if contract.decision:
        raise ValidationError(f"This contract was already {contract.get_decision_display().lower()}.")
    if not (note or "").strip():
        raise ValidationError({"note": "Say how and when notice was given."})
    contract.decision = ContractStatus.CANCELLED
    contract.save(update_fields=["decision"])
    _close_alert(contract, actor, "Notice given: the contract is cancelled.")
    activity.record_status(
        contract, actor=actor, old=ContractStatus.ACTIVE, new=ContractStatus.CANCELLED, note=note.strip()
    )
    return contract


def _close_alert(contract: Contract, actor: User, note: str) -> None:
    """The decision is made: the alert task is done (if it is still open)."""
    if contract.alert_task_id is None:
        return
    task = Task.objects.filter(pk=contract.alert_task_id).first()
    if task is not None and task.status not in ("done", "cancelled"):
        activity.record(task, actor=actor, kind=Activity.Kind.COMMENT, public=False, text=note)


def alert_key(contract: Contract) -> str:
    return f"finance:contract:{contract.pk}:{contract.ends_on.isoformat()}"


def contracts_check_notice(*, today: date | None = None) -> int:
    """The daily check: each undecided contract whose notice date is within the school's alert days (60 by default)
    gets one task (source key per contract and end date) and a notification to its owner. Returns tasks raised."""
    today = today or timezone.localdate()
    settings_by_school = {row.school_id: row for row in FinanceSettings.objects.all()}
    raised = 0
    candidates = Contract.objects.filter(decision="", ends_on__gte=today).select_related("school", "supplier", "owner")
    for contract in candidates:
        alert_days = getattr(settings_by_school.get(contract.school_id), "alert_days", 60)
        if today < contract.notice_date - timedelta(days=alert_days):
            continue
        if _contract_alert(contract, today):
            raised += 1
    return raised


@transaction.atomic
def _contract_alert(contract: Contract, today: date) -> bool:
    key = alert_key(contract)
    existing = Task.objects.filter(school_id=contract.school_id, source_key=key).exists()
    if existing:
        return False
    notice = contract.notice_date
    when = (
        "today" if notice == today else (f"by {notice:%d/%m/%Y}" if notice > today else f"{notice:%d/%m/%Y} (passed)")
    )
    task = task_services.task_raise(
        school=contract.school,
        title=f"Contract renewal: {contract.title} ({contract.supplier}) — give notice {when}",
        description=(
            f"{contract.title} with {contract.supplier} ends on {contract.ends_on:%d/%m/%Y} "
            f"({'renews automatically' if contract.auto_renew else 'does not renew by itself'}); notice "
            f"of {contract.notice_days} days is due by {notice:%d/%m/%Y}. Annual cost £{contract.annual_cost:,.2f}. "
            "Decide: renew it or give notice, and record the decision on the contract's page."
        ),
        steps=[
            "Review the use and value of the contract",
            "Get a competing quote if it is worth it",
            "Renew or give notice, and record it on the contract",
        ],
        origin=TaskOrigin.REVIEW,
        due_on=max(notice, today),
        source_key=key,
    )
    Contract.objects.filter(pk=contract.pk).update(alert_task=task)
    contract.alert_task = task
    notify(
        contract,
        "review_due",
        [contract.owner],
        context={"note": f"Notice for {contract.title} is due {when}; it ends on {contract.ends_on:%d/%m/%Y}."},
    )
    return True


# =============================================================================
# Budgets
# =============================================================================


def even_plan(amount: Decimal) -> list[Decimal]:
    """Twelve monthly amounts that add up to `amount` exactly (the pennies left over go in the last month)."""
    month = money.pennies(amount / 12)
    return [month] * 11 + [amount - month * 11]


@transaction.atomic
def budget_save(
    *,
    actor: User,
    school: School,
    year: int,
    amounts: dict[str, Any],
    plans: dict[str, list[Any]] | None = None,
    holder: User | None = None,
    notes: str = "",
) -> Budget:
    """Set the school's ICT budget for a financial year: an amount per category and its plan per month (spread
    evenly unless a plan of twelve amounts is given; a plan must add up to its line's amount)."""
    _require_manage(actor, school)
    errors: dict[str, str] = {}
    if not 2000 <= int(year) <= 2100:
        errors["year"] = "Give the year the financial year starts in."
    unknown = set(amounts) - set(Category.values)
    if unknown:
        errors["category"] = f"Not budget categories: {sorted(unknown)}"
    cleaned: dict[str, Decimal] = {}
    for category, value in amounts.items():
        try:
            cleaned[category] = _money(value or 0, category)
        except ValidationError as error:
            errors[category] = error.messages[0]
    plan_values: dict[str, list[Decimal]] = {}
    for category, plan in (plans or {}).items():
        if category not in cleaned:
            continue
        try:
            values = [_money(v or 0, category) for v in plan]
        except ValidationError as error:
            errors[category] = error.messages[0]
            continue
        if len(values) != 12:
            errors[category] = "A spending plan has twelve monthly amounts."
        elif sum(values) != cleaned[category]:
            errors[category] = (
                f"The plan for {Category(category).label.lower()} adds up to £{sum(values):,.2f}, "
                f"not its budget of £{cleaned[category]:,.2f}."
            )
        else:
            plan_values[category] = values
    if (
        holder is not None
        and not access.is_leader.test(holder, school)
        and not access.is_network_manager.test(holder, school)
    ):
        errors["holder"] = f"{holder} is not a leader or the network manager at {school}."
    if errors:
        raise ValidationError(errors)
    budget, created = Budget.objects.select_for_update().get_or_create(school=school, year=year)
    budget.holder, budget.notes = holder, (notes or "").strip()
    budget.save()
    existing = {line.category: line for line in budget.lines.all()}
    for category, amount in cleaned.items():
        plan = [str(v) for v in plan_values.get(category) or even_plan(amount)]
        line = existing.get(category)
        if line is None:
            BudgetLine.objects.create(school=school, budget=budget, category=category, amount=amount, plan=plan)
        elif line.amount != amount or line.plan != plan:
            line.amount, line.plan = amount, plan
            line.save(update_fields=["amount", "plan"])
    activity.record(
        budget,
        actor=actor,
        kind=Activity.Kind.CREATED if created else Activity.Kind.FIELD,
        public=False,
        text=f"Budget set: £{sum(cleaned.values()):,.2f}.",
    )
    return budget


# =============================================================================
# The expenditure record
# =============================================================================

EXPENDITURE_FIELDS = (
    "spent_on",
    "supplier",
    "item",
    "category",
    "amount",
    "vat",
    "stage",
    "ci",
    "contract",
    "order_reference",
)


def _check_line(school: School, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    item = str(values.get("item") or "").strip()
    if not item:
        errors["item"] = "Say what was bought."
    if values.get("category") not in Category.values:
        errors["category"] = "Choose a category: " + ", ".join(Category.values) + "."
    if not isinstance(values.get("spent_on"), date):
        errors["spent_on"] = "Give the date (DD/MM/YYYY)."
    elif values["spent_on"] > timezone.localdate() + timedelta(days=366):
        errors["spent_on"] = "That date is more than a year away."
    cleaned = dict(values, item=item[:200], order_reference=str(values.get("order_reference") or "").strip()[:60])
    for name in ("amount", "vat"):
        try:
            cleaned[name] = _money(values.get(name) or 0, name, allow_negative=name == "amount")
        except ValidationError as error:
            errors[name] = error.messages[0]
    if "amount" not in errors and cleaned["amount"] == 0:
        errors["amount"] = "Give the amount (a credit note is negative)."
    if values.get("stage", Stage.PAID) not in Stage.values:
        errors["stage"] = "Ordered or paid."
    for name in ("supplier", "ci", "contract"):
        record = values.get(name)
        if record is not None and record.school_id != school.pk:
            errors[name] = f"{record} belongs to another school."
    if errors:
        raise ValidationError(errors)
    cleaned.setdefault("stage", Stage.PAID)
    return cleaned


@transaction.atomic
def expenditure_record(*, actor: User | None, school: School, source_key: str = "", **values: Any) -> Expenditure:
    """Add a line to the expenditure record: date, supplier, item, category, amount (before VAT), VAT, ordered or
    paid, and the CI or contract it is for.

    A person needs to be the financial manager or the desk. A process (a cartridge delivery in Print Management)
    passes a `source_key` naming the occurrence; it has checked its own permission, and recording the same key again
    returns the line already there.
    """
    unknown = set(values) - set(EXPENDITURE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown expenditure fields: {sorted(unknown)}")
    if source_key:
        existing = Expenditure.objects.filter(school=school, source_key=source_key).first()
        if existing is not None:
            return existing
    else:
        access.require(
            access.can_record_expenditure, actor, school, "Only the financial manager and the desk record expenditure."
        )
    cleaned = _check_line(school, values)
    try:
        with transaction.atomic():
            line = Expenditure.objects.create(school=school, recorded_by=actor, source_key=source_key, **cleaned)
    except IntegrityError:  # the same key recorded at the same moment
        return Expenditure.objects.get(school=school, source_key=source_key)
    return line


@transaction.atomic
def expenditure_update(*, actor: User, line: Expenditure, **values: Any) -> Expenditure:
    """Correct a line of the expenditure record."""
    line = Expenditure.objects.select_for_update().get(pk=line.pk)
    access.require(access.can_record_expenditure, actor, line, "Only the financial manager and the desk do this.")
    unknown = set(values) - set(EXPENDITURE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown expenditure fields: {sorted(unknown)}")
    merged = {name: getattr(line, name) for name in EXPENDITURE_FIELDS} | values
    cleaned = _check_line(line.school, merged)
    for name, value in cleaned.items():
        setattr(line, name, value)
    line.save()
    return line


# --- CSV ------------------------------------------------------------------------------------------------------------

CSV_COLUMNS = ("date", "supplier", "item", "category", "amount", "vat", "stage", "order_reference", "ci", "contract")
REQUIRED_COLUMNS = ("date", "item", "category", "amount")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%y")
MAX_ROWS = 5000


def _parse_date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 (a date, no time of day)
        except ValueError:
            continue
    return None


def expenditure_import(*, actor: User, school: School, filename: str, content: bytes) -> ExpenditureImport:
    """Import expenditure lines from a CSV file (columns: date, supplier, item, category, amount, and optionally vat,
    stage, order_reference, ci (asset tag or name), contract (reference or title)). All or nothing: any error in
    any row and no line is added; the file is kept either way, with the errors by row and column."""
    access.require(
        access.can_record_expenditure, actor, school, "Only the financial manager and the desk import expenditure."
    )
    errors: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text, errors = "", [{"row": 0, "column": "", "error": "The file is not UTF-8 text (save it as CSV UTF-8)."}]
    reader = csv.DictReader(io.StringIO(text)) if text else None
    if reader is not None:
        header = [(name or "").strip().lower().replace(" ", "_") for name in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            errors.append({"row": 1, "column": ", ".join(missing), "error": "Missing column(s)."})
        else:
            rows = list(reader)
            if not rows:
                errors.append({"row": 0, "column": "", "error": "The file has no rows."})
            if len(rows) > MAX_ROWS:
                errors.append({"row": 0, "column": "", "error": f"At most {MAX_ROWS} rows at a time."})
                rows = []
    suppliers = {s.name.lower(): s for s in Supplier.objects.filter(school=school)}
    cis: dict[str, ConfigurationItem] = {}
    for ci in ConfigurationItem.objects.filter(school=school).only("pk", "name", "asset_tag", "school_id"):
        cis.setdefault(ci.name.lower(), ci)
        if ci.asset_tag:
            cis[ci.asset_tag.lower()] = ci
    contracts: dict[str, Contract] = {}
    for contract in Contract.objects.filter(school=school).order_by("starts_on"):
        contracts[contract.title.lower()] = contract
        if contract.reference:
            contracts[contract.reference.lower()] = contract
    parsed: list[dict[str, Any]] = []
    new_suppliers: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        cell = {key: (value or "").strip() for key, value in row.items() if key}
        values: dict[str, Any] = {
            "item": cell.get("item", ""),
            "category": cell.get("category", "").lower(),
            "amount": cell.get("amount", ""),
            "vat": cell.get("vat") or "0",
            "stage": (cell.get("stage") or Stage.PAID).lower(),
            "order_reference": cell.get("order_reference", ""),
        }
        day = _parse_date(cell.get("date", ""))
        if day is None:
            errors.append(
                {"row": number, "column": "date", "error": f"{cell.get('date', '')!r} is not a date (DD/MM/YYYY)."}
            )
        values["spent_on"] = day or timezone.localdate()
        name = cell.get("supplier", "")
        if name:
            values["supplier"] = suppliers.get(name.lower())
            if values["supplier"] is None:
                new_suppliers[name.lower()] = name
        for column, table in (("ci", cis), ("contract", contracts)):
            key = cell.get(column, "")
            if key:
                values[column] = table.get(key.lower())
                if values[column] is None:
                    what = "CI" if column == "ci" else "contract"
                    errors.append({"row": number, "column": column, "error": f"No {what} {key!r} at {school}."})
        try:
            _check_line(school, {k: v for k, v in values.items() if v is not None})
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                errors += [
                    {"row": number, "column": "date" if column == "spent_on" else column, "error": text}
                    for text in messages
                ]
        parsed.append((values, name.lower()))
    with transaction.atomic():
        batch = ExpenditureImport(
            school=school,
            filename=filename[:200],
            uploaded_by=actor,
            rows=len(rows),
            errors=errors,
            accepted=not errors,
        )
        batch.file.save(f"{school.slug}-{timezone.now():%Y%m%d%H%M%S}.csv", ContentFile(content), save=False)
        batch.save()
        if errors:
            return batch
        for key, name in new_suppliers.items():
            suppliers[key] = Supplier.objects.create(school=school, name=name[:150])
        for values, supplier_key in parsed:
            if supplier_key:
                values["supplier"] = suppliers[supplier_key]
            cleaned = _check_line(school, {k: v for k, v in values.items() if v is not None})
            Expenditure.objects.create(school=school, recorded_by=actor, imported_from=batch, **cleaned)
    return batch


def expenditure_csv_rows(lines) -> list[list[str]]:
    """The expenditure record as CSV rows, header first (the import's columns, so an export imports again)."""
    out = [list(CSV_COLUMNS)]
    for line in lines:
        out.append(
            [
                line.spent_on.strftime("%d/%m/%Y"),
                line.supplier.name if line.supplier else "",
                line.item,
                line.category,
                f"{line.amount:.2f}",
                f"{line.vat:.2f}",
                line.stage,
                line.order_reference,
                (line.ci.asset_tag or line.ci.name) if line.ci else "",
                (line.contract.reference or line.contract.title) if line.contract else "",
            ]
        )
    return out


def consumables_receipt_record(*, movement: Any, unit_cost: Decimal, actor: User | None) -> Expenditure:
    """A delivery of printer cartridges (Print Management's stock received, with the cartridge's unit cost) goes in
    the expenditure record under consumables, once per stock movement."""
    cartridge = movement.cartridge
    return expenditure_record(
        actor=actor,
        school=cartridge.school,
        source_key=f"printing:received:{movement.pk}",
        spent_on=timezone.localdate(movement.at),
        category=Category.CONSUMABLES,
        item=f"{movement.quantity} × {cartridge.name} ({cartridge.part_number})",
        amount=money.pennies(Decimal(unit_cost) * movement.quantity),
        order_reference=(movement.note or "")[:60],
    )
