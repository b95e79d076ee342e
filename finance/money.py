"""The arithmetic of Financial Management, with no database: financial years, depreciation, contract payments,
support time priced by role. Money is Decimal, rounded to the penny (half up) only when shown or summed per line.

Choices (README "Financial Management"):
- Financial year: a maintained school's runs 1 April to 31 March, an academy's 1 September to 31 August; a year is
  named by the calendar year it starts in (2026 = April 2026 - March 2027, or September 2026 - August 2027).
- Straight-line depreciation is pro rata by **whole months**: a month is charged on each monthly anniversary of the
  purchase date (bought 15 March: the first month is charged on 15 April). The charge a month is
  (cost - residual) / (life in years x 12); after the useful life the book value stays at the residual value.
- Reducing balance: book value = cost x (1 - rate)^(months / 12), by the same whole months, never below the residual.
- Replacement date: the purchase date plus the useful life (29 February becomes 28 February), unless a CI's own
  expected replacement date is set.
- Contract payments: the annual cost split evenly over the payments of a year (1, 3, 4 or 12), the first on the
  start date and then every 12, 4, 3 or 1 months while before the end date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
ZERO = Decimal("0")


def pennies(value: Decimal | int | float) -> Decimal:
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


# =============================================================================
# Dates
# =============================================================================


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, kept within the month (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when `end` is before the first monthly anniversary)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def year_of(day: date, start_month: int) -> int:
    """The financial year (named by the calendar year it starts in) that `day` falls in."""
    return day.year if day.month >= start_month else day.year - 1


def year_bounds(year: int, start_month: int) -> tuple[date, date]:
    """First and last day of the financial year `year`."""
    first = date(year, start_month, 1)
    return first, add_months(first, 12) - timedelta(days=1)


def year_label(year: int, start_month: int) -> str:
    first, last = year_bounds(year, start_month)
    return f"{first:%b %Y} – {last:%b %Y}"


def year_months(year: int, start_month: int) -> list[date]:
    """The first day of each of the year's twelve months."""
    first = date(year, start_month, 1)
    return [add_months(first, i) for i in range(12)]


# =============================================================================
# Depreciation
# =============================================================================


@dataclass(frozen=True)
class Depreciation:
    cost: Decimal
    depreciation: Decimal  # to date
    book_value: Decimal
    replace_on: date | None
    months: int


def depreciate(
    *,
    cost: Decimal | None,
    bought: date | None,
    method: str,
    life_years: int,
    rate_percent: Decimal | None,
    residual: Decimal,
    on: date,
) -> Depreciation | None:
    """A CI's depreciation and book value on `on` (None when its cost or purchase date is unknown)."""
    if cost is None or bought is None:
        return None
    cost, residual = Decimal(cost), min(Decimal(residual or 0), Decimal(cost))
    months = months_between(bought, on)
    life_months = max(int(life_years), 1) * 12
    if method == "reducing_balance":
        rate = Decimal(rate_percent if rate_percent is not None else Decimal(100) / Decimal(life_years)) / 100
        factor = (Decimal(1) - rate) ** (Decimal(months) / Decimal(12)) if rate < 1 else Decimal(0 if months else 1)
        book = max(cost * factor, residual)
    else:
        charged = min(months, life_months)
        book = cost - (cost - residual) * Decimal(charged) / Decimal(life_months)
    book = pennies(book)
    return Depreciation(
        cost=pennies(cost),
        depreciation=pennies(cost) - book,
        book_value=book,
        replace_on=add_months(bought, life_months),
        months=months,
    )


# =============================================================================
# Contract payments
# =============================================================================


def payments(*, starts_on: date, ends_on: date, annual_cost: Decimal, per_year: int) -> list[tuple[date, Decimal]]:
    """Every payment of a contract: (date, amount)."""
    step = 12 // per_year
    amount = pennies(Decimal(annual_cost) / per_year)
    found, k = [], 0
    # a payment opens a period: none falls on the end date itself (a contract from 14 March to 14 March pays once)
    while ((day := add_months(starts_on, k * step)) < ends_on or (k == 0 and day == ends_on)) and k < 12 * 50:
        found.append((day, amount))
        k += 1
    return found


# =============================================================================
# Support time
# =============================================================================

# Used when neither the school, its authority nor anyone has set a rate for the role (£ an hour, on-costs in).
DEFAULT_RATES = {
    "desk": Decimal("15.00"),
    "technician": Decimal("20.00"),
    "network_manager": Decimal("28.00"),
    "school_leader": Decimal("40.00"),
    "support": Decimal("45.00"),  # the LEA's support unit (traded services)
    "consultant": Decimal("55.00"),
    "ict_user": Decimal("0.00"),
}
# When a person holds several roles at a school, their time is priced at the first of these they hold.
ROLE_ORDER = ("network_manager", "technician", "support", "desk", "school_leader", "consultant", "ict_user")


def time_cost(minutes: int, hourly_rate: Decimal) -> Decimal:
    return pennies(Decimal(minutes) * Decimal(hourly_rate) / 60)
