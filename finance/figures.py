"""The figures of Financial Management, read in a fixed number of queries whatever the number of rows or schools:
budget against actual per category for a financial year, depreciation and book value per CI, the cost of support
time, total cost of ownership per room and per service, and the side-by-side report for the LEA.

Callers pass the schools (and, for time entries, the queryset) the person may see: pages and the API start from
`visible_to` and `schools_visible_to`; these functions only add up.

What counts (README "Financial Management"):
- actual: the expenditure record's paid lines, the purchase cost of CIs bought within the year (hardware, or
  software for software CIs) and the contract payments falling in the year up to today;
- committed: ordered lines not yet paid, and the contract payments still to fall in the year;
- a contract's invoices are shown in the record but not counted again (its payments are).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Case, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import TruncMonth

from cmdb.models import COMPUTER_KINDS, LOGICAL_KINDS, ConfigurationItem, Kind, LifecycleStatus
from cmdb.topology import relied_on
from finance import money
from finance.models import (
    PAYMENTS_A_YEAR,
    YEAR_START,
    BudgetLine,
    Category,
    CICost,
    Contract,
    DepreciationDefault,
    Expenditure,
    FinanceSettings,
    FundingType,
    Method,
    RoleRate,
    Stage,
)
from fits.models import AuthorityRole, Membership, School

ZERO = Decimal("0")


def _none() -> Q:
    return Q(pk__in=[])


def settings_by_school(school_ids) -> dict[int, FinanceSettings]:
    found = {row.school_id: row for row in FinanceSettings.objects.filter(school_id__in=list(school_ids))}
    return {pk: found.get(pk) or FinanceSettings(school_id=pk) for pk in school_ids}


def start_month(settings: FinanceSettings | None) -> int:
    return YEAR_START[settings.funding_type if settings else FundingType.MAINTAINED]


# =============================================================================
# Budget against actual
# =============================================================================


@dataclass
class Line:
    category: str
    budget: Decimal = ZERO
    committed: Decimal = ZERO
    actual: Decimal = ZERO

    @property
    def label(self) -> str:
        return Category(self.category).label if self.category in Category.values else self.category

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.committed - self.actual

    @property
    def percent_used(self) -> Decimal | None:
        """Actual and committed as a share of the budget (None without a budget)."""
        if not self.budget:
            return None
        return ((self.actual + self.committed) * 100 / self.budget).quantize(Decimal("0.1"))

    @property
    def over(self) -> bool:
        return self.remaining < 0


@dataclass
class YearFigures:
    school: School
    year: int
    start_month: int
    settings: FinanceSettings
    lines: dict[str, Line] = field(default_factory=dict)
    planned_by_month: list[Decimal] = field(default_factory=lambda: [ZERO] * 12)
    actual_by_month: list[Decimal] = field(default_factory=lambda: [ZERO] * 12)
    devices: int = 0
    support_cost: Decimal = ZERO
    has_budget: bool = False

    @property
    def bounds(self) -> tuple[date, date]:
        return money.year_bounds(self.year, self.start_month)

    @property
    def label(self) -> str:
        return money.year_label(self.year, self.start_month)

    @property
    def months(self) -> list[date]:
        return money.year_months(self.year, self.start_month)

    @property
    def rows(self) -> list[Line]:
        return [self.lines[c] for c in Category.values]

    @property
    def total(self) -> Line:
        total = Line("total")
        for line in self.lines.values():
            total.budget += line.budget
            total.committed += line.committed
            total.actual += line.actual
        return total

    @property
    def pupils(self) -> int:
        return self.settings.pupils

    @property
    def per_pupil(self) -> Decimal | None:
        return money.pennies(self.total.actual / self.pupils) if self.pupils else None

    @property
    def per_device(self) -> Decimal | None:
        return money.pennies(self.total.actual / self.devices) if self.devices else None

    def month_index(self, day: date) -> int:
        return (day.year - self.year) * 12 + day.month - self.start_month


def ci_category(kind: str) -> str:
    if kind in (Kind.SOFTWARE, Kind.OPERATING_SYSTEM):
        return Category.SOFTWARE
    if kind == Kind.SERVICE:
        return Category.MISCELLANEOUS
    return Category.HARDWARE


def year_figures(
    schools: list[School], *, today: date, year: int | None = None, devices: bool = False
) -> dict[int, YearFigures]:
    """Budget, committed and actual per category for each school's financial year (`year`, or the one `today` falls
    in): five queries whatever the number of schools (six with `devices`, the computers in use)."""
    ids = [school.pk for school in schools]
    settings = settings_by_school(ids)
    figures: dict[int, YearFigures] = {}
    for school in schools:
        month = start_month(settings[school.pk])
        chosen = year if year is not None else money.year_of(today, month)
        figures[school.pk] = YearFigures(
            school, chosen, month, settings[school.pk], lines={c: Line(c) for c in Category.values}
        )
    if not figures:
        return figures
    windows = {pk: f.bounds for pk, f in figures.items()}
    in_budget, in_spend, in_bought, in_contract = _none(), _none(), _none(), _none()
    for pk, (first, last) in windows.items():
        in_budget |= Q(school_id=pk, budget__year=figures[pk].year)
        in_spend |= Q(school_id=pk, spent_on__range=(first, last))
        in_bought |= Q(school_id=pk, purchase_date__range=(first, last))
        in_contract |= Q(school_id=pk, starts_on__lte=last, ends_on__gte=first)
    for row in BudgetLine.objects.filter(in_budget).values("school_id", "category", "amount", "plan"):
        fig = figures[row["school_id"]]
        fig.has_budget = True
        fig.lines[row["category"]].budget += row["amount"]
        for i, value in enumerate((row["plan"] or [])[:12]):
            fig.planned_by_month[i] += Decimal(str(value))
    spend = (
        Expenditure.objects.filter(in_spend, contract__isnull=True)
        .annotate(month=TruncMonth("spent_on"))
        .values("school_id", "category", "stage", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in spend:
        fig = figures[row["school_id"]]
        line = fig.lines[row["category"]]
        if row["stage"] == Stage.ORDERED:
            line.committed += row["total"]
        else:
            line.actual += row["total"]
            fig.actual_by_month[fig.month_index(row["month"])] += row["total"]
    bought = (
        ConfigurationItem.objects.filter(in_bought, purchase_cost__isnull=False)
        .annotate(month=TruncMonth("purchase_date"))
        .values("school_id", "kind", "month")
        .annotate(total=Sum("purchase_cost"))
        .order_by()
    )
    for row in bought:
        fig = figures[row["school_id"]]
        fig.lines[ci_category(row["kind"])].actual += row["total"]
        fig.actual_by_month[fig.month_index(row["month"])] += row["total"]
    contracts = Contract.objects.filter(in_contract).only(
        "school_id", "kind", "starts_on", "ends_on", "annual_cost", "payment_frequency"
    )
    for contract in contracts:
        fig = figures[contract.school_id]
        first, last = windows[contract.school_id]
        for day, amount in contract_payments(contract):
            if not first <= day <= last:
                continue
            line = fig.lines[contract.category]
            if day <= today:
                line.actual += amount
                fig.actual_by_month[fig.month_index(day)] += amount
            else:
                line.committed += amount
    if devices:
        counts = (
            ConfigurationItem.objects.filter(school_id__in=ids, kind__in=COMPUTER_KINDS)
            .exclude(status__in=(LifecycleStatus.RETIRED, LifecycleStatus.DISPOSED))
            .values("school_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in counts:
            figures[row["school_id"]].devices = row["n"]
    return figures


def contract_payments(contract: Contract) -> list[tuple[date, Decimal]]:
    return money.payments(
        starts_on=contract.starts_on,
        ends_on=contract.ends_on,
        annual_cost=contract.annual_cost,
        per_year=PAYMENTS_A_YEAR[contract.payment_frequency],
    )


def paid_to_date(contract: Contract, today: date) -> Decimal:
    return sum((amount for day, amount in contract_payments(contract) if day <= today), ZERO)


# =============================================================================
# Depreciation per CI
# =============================================================================


@dataclass
class CIRow:
    ci: ConfigurationItem
    method: str
    life_years: int
    own: bool  # the CI's own figures, not its kind's default
    figures: money.Depreciation | None
    replace_on: date | None

    @property
    def method_label(self) -> str:
        return Method(self.method).label


def default_life(kind: str) -> int:
    from finance.services import DEFAULT_LIFE_YEARS

    return DEFAULT_LIFE_YEARS.get(kind, 5)


def ci_rows(cis: list[ConfigurationItem], *, on: date) -> list[CIRow]:
    """Depreciation and book value of each CI on `on` (the CIs come with `finance_cost` selected): one query for the
    schools' defaults."""
    school_ids = {ci.school_id for ci in cis}
    defaults = {(d.school_id, d.kind): d for d in DepreciationDefault.objects.filter(school_id__in=school_ids)}
    rows = []
    for ci in cis:
        own: CICost | None = getattr(ci, "finance_cost", None)
        if own is not None:
            method, life, rate, residual = own.method, own.life_years, own.rate_percent, own.residual_value
        else:
            default = defaults.get((ci.school_id, ci.kind))
            method = default.method if default else Method.STRAIGHT_LINE
            life = default.life_years if default else default_life(ci.kind)
            rate = default.rate_percent if default else None
            percent = default.residual_percent if default else ZERO
            residual = money.pennies((ci.purchase_cost or ZERO) * percent / 100)
        figures = money.depreciate(
            cost=ci.purchase_cost,
            bought=ci.purchase_date,
            method=method,
            life_years=life,
            rate_percent=rate,
            residual=residual,
            on=on,
        )
        replace_on = (own.replace_on if own is not None and own.replace_on else None) or (
            figures.replace_on if figures else None
        )
        rows.append(CIRow(ci, method, life, own is not None, figures, replace_on))
    return rows


# =============================================================================
# The cost of support time
# =============================================================================


class Rates:
    """Hourly rates of the people who logged time: the rate of their role at the school (the school's own, its
    authority's, everyone's, else the built-in default). Three queries for any number of people."""

    def __init__(self, pairs: set[tuple[int, int]], schools: dict[int, School]) -> None:
        people = {person for person, _ in pairs}
        school_ids = {school for _, school in pairs}
        self.roles: dict[tuple[int, int], set[str]] = defaultdict(set)
        for user_id, school_id, role in Membership.objects.filter(
            user_id__in=people, school_id__in=school_ids
        ).values_list("user_id", "school_id", "role"):
            self.roles[(user_id, school_id)].add(role)
        authority_of = {pk: school.authority_id for pk, school in schools.items()}
        by_authority: dict[tuple[int, int], set[str]] = defaultdict(set)
        for user_id, authority_id, role in AuthorityRole.objects.filter(user_id__in=people).values_list(
            "user_id", "authority_id", "role"
        ):
            by_authority[(user_id, authority_id)].add(role)
        for person, school_id in pairs:
            self.roles[(person, school_id)] |= by_authority.get((person, authority_of.get(school_id)), set())
        authorities = {a for a in authority_of.values() if a}
        self.table: dict[tuple[str, str, int | None], Decimal] = {}
        for rate in RoleRate.objects.filter(
            Q(school_id__in=school_ids)
            | Q(school__isnull=True, authority_id__in=authorities)
            | Q(school__isnull=True, authority__isnull=True)
        ):
            scope = (
                ("school", rate.school_id)
                if rate.school_id
                else (("authority", rate.authority_id) if rate.authority_id else ("all", None))
            )
            self.table[(scope[0], rate.role, scope[1])] = rate.hourly_rate
        self.authority_of = authority_of

    def role_of(self, person: int, school_id: int) -> str:
        held = self.roles.get((person, school_id), set())
        return next((role for role in money.ROLE_ORDER if role in held), "technician")

    def rate(self, person: int, school_id: int) -> Decimal:
        role = self.role_of(person, school_id)
        for key in (
            ("school", role, school_id),
            ("authority", role, self.authority_of.get(school_id)),
            ("all", role, None),
        ):
            if key in self.table:
                return self.table[key]
        return money.DEFAULT_RATES.get(role, ZERO)


@dataclass
class CostRow:
    key: object
    label: str
    minutes: int = 0
    cost: Decimal = ZERO

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"))


DIMENSIONS = ("month", "category", "service", "ci", "role")


def support_costs(entries, schools: dict[int, School], *, by: str) -> list[CostRow]:
    """Time logged on incidents, requests and changes (`entries`: TimeEntry rows the person may see, already
    narrowed), priced by the rate of each person's role, added up by `by`: month, category (of incident or request;
    "Changes" for changes), service, CI or role. Summed in SQL per person and `by`; four queries."""
    from incidents.models import Incident

    incident_type = ContentType.objects.get_for_model(Incident)
    incident = Incident.objects.filter(pk=OuterRef("object_id"))
    if by == "month":
        entries = entries.annotate(key=TruncMonth("worked_on"), label=TruncMonth("worked_on"))
    elif by == "category":
        entries = entries.annotate(
            key=Subquery(incident.values("category_id")[:1]), label=Subquery(incident.values("category__name")[:1])
        )
    elif by == "service":
        entries = entries.annotate(
            key=Subquery(incident.values("service_id")[:1]), label=Subquery(incident.values("service__name")[:1])
        )
    elif by == "ci":
        entries = entries.annotate(
            key=Subquery(incident.values("ci_id")[:1]), label=Subquery(incident.values("ci__name")[:1])
        )
    else:
        entries = entries.annotate(key=F("school_id"), label=F("school_id"))
    grouped = list(
        entries.annotate(
            on_incident=Case(
                When(content_type=incident_type, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .values("person_id", "school_id", "key", "label", "on_incident")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    )
    rates = Rates({(row["person_id"], row["school_id"]) for row in grouped}, schools)
    rows: dict[object, CostRow] = {}
    for row in grouped:
        key, label = row["key"], row["label"]
        if by == "role":
            key = label = rates.role_of(row["person_id"], row["school_id"])
        elif by == "month":
            label = f"{key:%B %Y}" if key else ""
        elif not row["on_incident"]:
            key, label = "changes", "Changes and other work"
        elif key is None:
            key, label = "none", "Not set"
        target = rows.setdefault(key, CostRow(key, str(label)))
        target.minutes += row["minutes"]
        target.cost += money.time_cost(row["minutes"], rates.rate(row["person_id"], row["school_id"]))
    return sorted(rows.values(), key=lambda r: (str(r.key)) if by == "month" else (-r.cost, r.label))


# =============================================================================
# Total cost of ownership
# =============================================================================


@dataclass
class Cost:
    purchase: Decimal = ZERO
    contracts: Decimal = ZERO
    support: Decimal = ZERO
    expenditure: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.purchase + self.contracts + self.support + self.expenditure

    def add(self, other: Cost) -> None:
        self.purchase += other.purchase
        self.contracts += other.contracts
        self.support += other.support
        self.expenditure += other.expenditure


@dataclass
class Owned:
    """The CIs of a room or a service, with what they cost to own to date."""

    name: str
    cis: list[ConfigurationItem]
    cost: Cost
    per_ci: dict[int, Cost]
    key: int | None = None


def ci_costs_to_date(school: School, entries, *, today: date) -> tuple[dict[int, ConfigurationItem], dict[int, Cost]]:
    """What each CI of the school has cost to date: its purchase, its share of the contracts covering it (each
    contract's payments so far split evenly over its CIs), the support time on incidents about it, and the
    expenditure lines recorded against it. Eight queries whatever the number of CIs."""
    from incidents.models import Incident

    cis = {ci.pk: ci for ci in ConfigurationItem.objects.filter(school=school).select_related("location")}
    costs: dict[int, Cost] = defaultdict(Cost)
    for ci in cis.values():
        if ci.purchase_cost:
            costs[ci.pk].purchase = ci.purchase_cost
    covered: dict[int, list[int]] = defaultdict(list)
    for contract_id, ci_id in Contract.cis.through.objects.filter(contract__school=school).values_list(
        "contract_id", "configurationitem_id"
    ):
        covered[contract_id].append(ci_id)
    for contract in Contract.objects.filter(school=school, starts_on__lte=today, pk__in=list(covered)):
        share = paid_to_date(contract, today) / len(covered[contract.pk])
        for ci_id in covered[contract.pk]:
            costs[ci_id].contracts += money.pennies(share)
    incident_type = ContentType.objects.get_for_model(Incident)
    grouped = list(
        entries.filter(content_type=incident_type)
        .annotate(ci_id=Subquery(Incident.objects.filter(pk=OuterRef("object_id")).values("ci_id")[:1]))
        .filter(ci_id__isnull=False)
        .values("person_id", "school_id", "ci_id")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    )
    rates = Rates({(row["person_id"], row["school_id"]) for row in grouped}, {school.pk: school})
    for row in grouped:
        costs[row["ci_id"]].support += money.time_cost(row["minutes"], rates.rate(row["person_id"], row["school_id"]))
    for row in (
        Expenditure.objects.filter(
            school=school, ci__isnull=False, contract__isnull=True, stage=Stage.PAID, spent_on__lte=today
        )
        .values("ci_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        costs[row["ci_id"]].expenditure += row["total"]
    return cis, costs


def _owned(name: str, ci_ids: list[int], cis, costs, key=None) -> Owned:
    total = Cost()
    per_ci = {}
    for pk in ci_ids:
        cost = costs.get(pk, Cost())
        per_ci[pk] = cost
        total.add(cost)
    chosen = sorted((cis[pk] for pk in ci_ids if pk in cis), key=lambda ci: -costs.get(ci.pk, Cost()).total)
    return Owned(name, chosen, total, per_ci, key)


def tco_by_room(school: School, entries, *, today: date) -> list[Owned]:
    """Total cost of ownership of each room: the CIs located in it."""
    cis, costs = ci_costs_to_date(school, entries, today=today)
    rooms: dict[int, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for ci in cis.values():
        if ci.location_id and ci.kind not in LOGICAL_KINDS:
            rooms[ci.location_id].append(ci.pk)
            names[ci.location_id] = ci.location.name
    found = [_owned(names[pk], ids, cis, costs, pk) for pk, ids in rooms.items()]
    return sorted(found, key=lambda o: (-o.cost.total, o.name))


def tco_by_service(school: School, entries, *, today: date) -> list[Owned]:
    """Total cost of ownership of each ICT service: its CMDB service CI and every CI it depends on, runs on or is
    connected to, followed through the relationships."""
    from servicelevels.models import ITService

    cis, costs = ci_costs_to_date(school, entries, today=today)
    services = list(ITService.objects.filter(school=school, is_active=True, ci__isnull=False))
    reach = relied_on(school.pk, [service.ci_id for service in services])
    found = [_owned(service.name, sorted(reach[service.ci_id]), cis, costs, service.pk) for service in services]
    return sorted(found, key=lambda o: (-o.cost.total, o.name))


def warranties_ending(cis_queryset, *, today: date, days: int):
    """CIs whose warranty ends within `days` (the CMDB's warranty_end), soonest first."""
    return cis_queryset.filter(warranty_end__gte=today, warranty_end__lte=today + timedelta(days=days)).order_by(
        "warranty_end", "name"
    )
