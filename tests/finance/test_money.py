"""The arithmetic against hand-worked cases (finance/money.py): depreciation, financial years, contract payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from finance import money


def straight(cost, bought, life, on, residual=0):
    return money.depreciate(
        cost=D(cost),
        bought=bought,
        method="straight_line",
        life_years=life,
        rate_percent=None,
        residual=D(residual),
        on=on,
    )


def reducing(cost, bought, rate, on, residual=0, life=5):
    return money.depreciate(
        cost=D(cost),
        bought=bought,
        method="reducing_balance",
        life_years=life,
        rate_percent=D(rate),
        residual=D(residual),
        on=on,
    )


# --- Straight line, pro rata by whole months -------------------------------------------------------------------------


def test_straight_line_charges_a_month_on_each_monthly_anniversary():
    # A £900 laptop bought 15/03/2024, 3 years, no residual: 900 / 36 = £25.00 a month.
    bought = date(2024, 3, 15)
    assert straight(900, bought, 3, date(2024, 4, 14)).book_value == D("900.00")  # the first month is not complete
    assert straight(900, bought, 3, date(2024, 4, 15)).book_value == D("875.00")  # 1 month: 900 - 25
    # 14/03/2025: 11 whole months -> 11 x 25 = 275 charged, 625 left
    result = straight(900, bought, 3, date(2025, 3, 14))
    assert (result.months, result.depreciation, result.book_value) == (11, D("275.00"), D("625.00"))
    assert straight(900, bought, 3, date(2025, 3, 15)).book_value == D("600.00")  # 1 year: 900 - 300
    assert straight(900, bought, 3, date(2027, 3, 15)).book_value == D("0.00")  # fully written down
    assert straight(900, bought, 3, date(2030, 1, 1)).book_value == D("0.00")  # and stays there
    assert straight(900, bought, 3, date(2024, 1, 1)).book_value == D("900.00")  # before it was bought


def test_straight_line_with_a_residual_value():
    # A £4,200 server bought 01/09/2023, 5 years, residual £600: (4200 - 600) / 60 = £60 a month.
    bought = date(2023, 9, 1)
    assert straight(4200, bought, 5, date(2025, 3, 1), residual=600).book_value == D("3120.00")  # 18 x 60 = 1080
    assert straight(4200, bought, 5, date(2029, 1, 1), residual=600).book_value == D("600.00")  # never below


def test_straight_line_rounds_to_the_penny():
    # £1,000 over 3 years = £27.777... a month; after 1 month 972.222... -> £972.22
    assert straight(1000, date(2025, 1, 31), 3, date(2025, 2, 28)).book_value == D("972.22")  # 31 Jan + 1 month


# --- Reducing balance --------------------------------------------------------------------------------------------


def test_reducing_balance_is_cost_times_one_minus_rate_to_the_years():
    bought = date(2024, 1, 1)
    assert reducing(1000, bought, 40, date(2025, 1, 1)).book_value == D("600.00")  # 1000 x 0.6
    assert reducing(1000, bought, 40, date(2026, 1, 1)).book_value == D("360.00")  # 1000 x 0.6^2
    # 18 months: 1000 x 0.6^1.5 = 1000 x 0.4647580... = 464.76
    assert reducing(1000, bought, 40, date(2025, 7, 1)).book_value == D("464.76")
    # 3 years would be 216, but the residual is 300: never below it
    assert reducing(1000, bought, 40, date(2027, 1, 1), residual=300).book_value == D("300.00")


def test_replacement_date_is_purchase_plus_life():
    assert straight(900, date(2024, 3, 15), 3, date(2024, 3, 15)).replace_on == date(2027, 3, 15)
    assert straight(900, date(2024, 2, 29), 1, date(2024, 3, 1)).replace_on == date(2025, 2, 28)


def test_nothing_without_a_cost_or_a_date():
    assert (
        money.depreciate(
            cost=None,
            bought=date(2024, 1, 1),
            method="straight_line",
            life_years=3,
            rate_percent=None,
            residual=D(0),
            on=date(2025, 1, 1),
        )
        is None
    )
    assert (
        money.depreciate(
            cost=D(10),
            bought=None,
            method="straight_line",
            life_years=3,
            rate_percent=None,
            residual=D(0),
            on=date(2025, 1, 1),
        )
        is None
    )


# --- Financial years -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start_month", "year"),
    [
        (date(2026, 3, 31), 4, 2025),  # maintained: 31 March is the last day of 2025-26
        (date(2026, 4, 1), 4, 2026),  # 1 April starts 2026-27
        (date(2027, 1, 15), 4, 2026),
        (date(2026, 8, 31), 9, 2025),  # academy: 31 August is the last day of 2025-26
        (date(2026, 9, 1), 9, 2026),  # 1 September starts 2026-27
        (date(2027, 2, 28), 9, 2026),
    ],
)
def test_the_year_a_day_falls_in(day, start_month, year):
    assert money.year_of(day, start_month) == year


def test_year_bounds_for_both_kinds_of_school():
    assert money.year_bounds(2026, 4) == (date(2026, 4, 1), date(2027, 3, 31))
    assert money.year_bounds(2026, 9) == (date(2026, 9, 1), date(2027, 8, 31))
    assert money.year_bounds(2027, 9) == (date(2027, 9, 1), date(2028, 8, 31))  # 2028 is a leap year: no matter
    assert money.year_months(2026, 9)[0] == date(2026, 9, 1)
    assert money.year_months(2026, 9)[-1] == date(2027, 8, 1)
    assert money.year_label(2026, 4) == "Apr 2026 – Mar 2027"


# --- Contract payments ---------------------------------------------------------------------------------------------


def test_payments_split_the_annual_cost():
    termly = money.payments(starts_on=date(2026, 9, 1), ends_on=date(2027, 8, 31), annual_cost=D("6000"), per_year=3)
    assert termly == [
        (date(2026, 9, 1), D("2000.00")),
        (date(2027, 1, 1), D("2000.00")),
        (date(2027, 5, 1), D("2000.00")),
    ]
    monthly = money.payments(starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31), annual_cost=D("1000"), per_year=12)
    assert len(monthly) == 12 and monthly[0][1] == D("83.33")
    two_years = money.payments(starts_on=date(2025, 9, 1), ends_on=date(2027, 8, 31), annual_cost=D("1200"), per_year=1)
    assert two_years == [(date(2025, 9, 1), D("1200.00")), (date(2026, 9, 1), D("1200.00"))]
    # a year from 14 March to 14 March, quarterly: four payments, none on the end date
    quarterly = money.payments(
        starts_on=date(2026, 3, 14), ends_on=date(2027, 3, 14), annual_cost=D("1450"), per_year=4
    )
    assert [day for day, _ in quarterly] == [
        date(2026, 3, 14),
        date(2026, 6, 14),
        date(2026, 9, 14),
        date(2026, 12, 14),
    ]


def test_time_is_priced_by_the_hour():
    assert money.time_cost(90, D("20.00")) == D("30.00")
    assert money.time_cost(50, D("21.50")) == D("17.92")  # 50/60 x 21.50 = 17.9166...
