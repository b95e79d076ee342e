"""Financial Management for the demo: highfield (a maintained school, April-March) and riverside (an academy,
September-August) with their finance settings, depreciation defaults and a rate or two, suppliers, contracts (one
of highfield's inside its notice window, so its renewal task is raised), this year's budgets with a plan by month,
and an expenditure record of about fifty lines whose figures give a believable variance (hardware over budget,
consumables on track, training barely touched)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from cmdb.models import ConfigurationItem, Kind
from finance import money, services
from finance.models import Budget, Category, Stage
from fits.models import School, User

HIGHFIELD_BUDGET = {
    Category.HARDWARE: 9000,
    Category.SOFTWARE: 5200,
    Category.CONSUMABLES: 2900,
    Category.SUPPORT: 10500,
    Category.STAFF: 14000,
    Category.CONNECTIVITY: 2600,
    Category.TRAINING: 900,
    Category.MISCELLANEOUS: 400,
}
RIVERSIDE_BUDGET = {
    Category.HARDWARE: 38000,
    Category.SOFTWARE: 16500,
    Category.CONSUMABLES: 7000,
    Category.SUPPORT: 12000,
    Category.STAFF: 61000,
    Category.CONNECTIVITY: 5400,
    Category.TRAINING: 3000,
    Category.MISCELLANEOUS: 1500,
}

# (month of the year from its start, day, supplier, item, category, amount, stage)
HIGHFIELD_LINES = [
    (0, 3, "Insight UK", "Chromebooks for Year 5 (10)", Category.HARDWARE, "2390.00", Stage.PAID),
    (0, 10, "Viking Direct", "Toner and paper, spring order", Category.CONSUMABLES, "312.40", Stage.PAID),
    (0, 17, "Bolton Schools ICT", "Technician cover (2 days)", Category.SUPPORT, "480.00", Stage.PAID),
    (0, 28, "Highfield payroll", "ICT technician salary share, April", Category.STAFF, "1150.00", Stage.PAID),
    (1, 6, "Viking Direct", "Headphones for the ICT suite (30)", Category.HARDWARE, "267.00", Stage.PAID),
    (1, 12, "Purple Mash (2Simple)", "Purple Mash renewal", Category.SOFTWARE, "830.00", Stage.PAID),
    (1, 28, "Highfield payroll", "ICT technician salary share, May", Category.STAFF, "1150.00", Stage.PAID),
    (2, 4, "Insight UK", "Replacement projector lamp, Class 3", Category.HARDWARE, "145.00", Stage.PAID),
    (2, 11, "Viking Direct", "Printer paper, 20 boxes", Category.CONSUMABLES, "268.00", Stage.PAID),
    (2, 19, "Bolton Schools ICT", "Online safety INSET (half day)", Category.TRAINING, "175.00", Stage.PAID),
    (2, 28, "Highfield payroll", "ICT technician salary share, June", Category.STAFF, "1150.00", Stage.PAID),
    (3, 2, "Insight UK", "Interactive display, Class 6", Category.HARDWARE, "2650.00", Stage.PAID),
    (3, 9, "Microsoft (through the LEA)", "Minecraft Education licences", Category.SOFTWARE, "140.00", Stage.PAID),
    (3, 15, "Viking Direct", "Laminator pouches and labels", Category.CONSUMABLES, "48.60", Stage.PAID),
    (3, 28, "Highfield payroll", "ICT technician salary share, July", Category.STAFF, "1150.00", Stage.PAID),
    (4, 5, "Insight UK", "Laptops for teachers (4)", Category.HARDWARE, "2196.00", Stage.PAID),
    (4, 18, "Bolton Schools ICT", "Summer rebuild of the ICT suite", Category.SUPPORT, "960.00", Stage.PAID),
    (4, 28, "Highfield payroll", "ICT technician salary share, August", Category.STAFF, "1150.00", Stage.PAID),
    (5, 2, "Viking Direct", "Toner, autumn order", Category.CONSUMABLES, "428.90", Stage.PAID),
    (5, 8, "Insight UK", "USB-C chargers and cables", Category.HARDWARE, "186.50", Stage.PAID),
    (5, 15, "Tapestry", "Tapestry EYFS journal", Category.SOFTWARE, "420.00", Stage.PAID),
    (5, 22, "Insight UK", "Visualisers (3)", Category.HARDWARE, "297.00", Stage.PAID),
    (5, 28, "Highfield payroll", "ICT technician salary share, September", Category.STAFF, "1150.00", Stage.PAID),
    (6, 3, "Bolton Schools ICT", "Network switch reconfiguration", Category.SUPPORT, "240.00", Stage.PAID),
    (6, 7, "Viking Direct", "Printer paper, 15 boxes", Category.CONSUMABLES, "201.00", Stage.PAID),
    (6, 14, "Insight UK", "Tablet cases (16)", Category.HARDWARE, "352.00", Stage.PAID),
    (6, 21, "Spellzone", "Spellzone site licence", Category.SOFTWARE, "299.00", Stage.PAID),
    (6, 28, "Highfield payroll", "ICT technician salary share, October", Category.STAFF, "1150.00", Stage.PAID),
    (6, 30, "Royal Mail", "Returns of faulty kit", Category.MISCELLANEOUS, "23.40", Stage.PAID),
    (7, 4, "Insight UK", "Chromebooks for Year 6 (10)", Category.HARDWARE, "2390.00", Stage.ORDERED),
    (7, 6, "Viking Direct", "Toner, November top-up", Category.CONSUMABLES, "186.20", Stage.PAID),
    (7, 10, "Bolton Schools ICT", "Cyber security training for staff", Category.TRAINING, "120.00", Stage.ORDERED),
    (7, 12, "Insight UK", "Document camera", Category.HARDWARE, "99.00", Stage.PAID),
    (7, 14, "Highfield payroll", "Overtime: parents' evening setup", Category.STAFF, "84.00", Stage.PAID),
    (7, 18, "Royal Mail", "Courier for the server repair", Category.MISCELLANEOUS, "38.00", Stage.PAID),
    (7, 20, "Insight UK", "Wireless keyboard and mouse sets (6)", Category.HARDWARE, "144.00", Stage.ORDERED),
    (7, 21, "Viking Direct", "Credit: damaged toner returned", Category.CONSUMABLES, "-62.00", Stage.PAID),
]
RIVERSIDE_LINES = [
    (0, 5, "XMA", "Laptops for the science department (30)", Category.HARDWARE, "16200.00", Stage.PAID),
    (0, 12, "Riverside payroll", "ICT team salaries, September", Category.STAFF, "5080.00", Stage.PAID),
    (0, 20, "Adobe (through Softcat)", "Adobe Creative Cloud, art and media", Category.SOFTWARE, "2950.00", Stage.PAID),
    (1, 2, "XMA", "Toner and drums", Category.CONSUMABLES, "890.00", Stage.PAID),
    (1, 12, "Riverside payroll", "ICT team salaries, October", Category.STAFF, "5080.00", Stage.PAID),
    (1, 22, "Softcat", "Sophos firewall subscription", Category.SOFTWARE, "1840.00", Stage.PAID),
    (2, 3, "XMA", "Interactive displays (4)", Category.HARDWARE, "9800.00", Stage.ORDERED),
    (2, 12, "Riverside payroll", "ICT team salaries, November", Category.STAFF, "5080.00", Stage.PAID),
    (2, 14, "Viking Direct", "Exam season paper", Category.CONSUMABLES, "540.00", Stage.PAID),
    (2, 18, "Bolton Schools ICT", "Cyber essentials assessment", Category.SUPPORT, "950.00", Stage.PAID),
]


def _day(year_start: date, month: int, day: int) -> date:
    return money.add_months(year_start, month).replace(day=min(day, 28))


def _suppliers(actor: User, school: School, lines, extra: dict[str, dict]) -> dict[str, object]:
    names = sorted({line[2] for line in lines} | set(extra))
    return {
        name: services.supplier_save(actor=actor, school=school, name=name, **extra.get(name, {})) for name in names
    }


def _lines(actor: User, school: School, year_start: date, lines, suppliers) -> int:
    count = 0
    today = timezone.localdate()
    for month, day, supplier, item, category, amount, stage in lines:
        spent_on = _day(year_start, month, day)
        if spent_on > today:
            continue
        services.expenditure_record(
            actor=actor,
            school=school,
            spent_on=spent_on,
            supplier=suppliers[supplier],
            item=item,
            category=category,
            amount=Decimal(amount),
            stage=stage,
            vat=money.pennies(Decimal(amount) * Decimal("0.2"))
            if Decimal(amount) > 0 and category not in (Category.STAFF,)
            else Decimal(0),
        )
        count += 1
    return count


def seed_finance(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    """How many of each thing were added (empty when it was all there)."""
    highfield, riverside = schools.get("highfield"), schools.get("riverside")
    netmgr, admin, leader = people.get("netmgr"), people.get("admin"), people.get("leader")
    if highfield is None or netmgr is None or admin is None or Budget.objects.filter(school=highfield).exists():
        return {}
    today = timezone.localdate()
    added = {"budgets": 0, "contracts": 0, "expenditure lines": 0, "suppliers": 0, "renewal tasks": 0}
    # --- highfield: maintained, April to March -------------------------------------------------------------------
    services.finance_settings_save(actor=netmgr, school=highfield, funding_type="maintained", pupils=212)
    services.depreciation_defaults_save(actor=netmgr, school=highfield, life_years=dict(services.DEFAULT_LIFE_YEARS))
    services.role_rates_save(
        actor=netmgr, school=highfield, rates={"technician": Decimal("21.50"), "network_manager": Decimal("31.00")}
    )
    year = money.year_of(today, 4)
    start, end = money.year_bounds(year, 4)
    suppliers = _suppliers(
        netmgr,
        highfield,
        HIGHFIELD_LINES,
        {
            "Bolton Schools ICT": {
                "contact": "Schools ICT Unit",
                "phone": "01204 333 444",
                "email": "ictunit@bolton.example.gov.uk",
                "account_number": "HF-0150",
            },
            "Northwest Broadband": {
                "contact": "Accounts team",
                "phone": "0161 555 0190",
                "account_number": "NWB-88412",
            },
            "Copyfast Office Systems": {"contact": "Service desk", "phone": "01204 555 0777"},
            "RM Education": {"phone": "01235 645 316", "account_number": "RM-221907"},
        },
    )
    added["suppliers"] += len(suppliers)
    servers = list(ConfigurationItem.objects.filter(school=highfield, kind=Kind.SERVER))
    printers = list(ConfigurationItem.objects.filter(school=highfield, kind=Kind.PRINTER))
    contracts = [
        dict(
            supplier=suppliers["Bolton Schools ICT"],
            title="LEA traded ICT support (Silver)",
            kind="traded",
            starts_on=start,
            ends_on=end,
            annual_cost=Decimal("6200.00"),
            payment_frequency="termly",
            notice_days=90,
            auto_renew=True,
            owner=netmgr,
            reference="SLA-HF-" + str(year),
        ),
        dict(
            supplier=suppliers["Northwest Broadband"],
            title="Broadband and web filtering",
            kind="connectivity",
            starts_on=date(year - 1, 9, 1),
            ends_on=date(year + 2, 8, 31),
            annual_cost=Decimal("2388.00"),
            payment_frequency="monthly",
            notice_days=90,
            auto_renew=False,
            owner=netmgr,
        ),
        dict(
            supplier=suppliers["Copyfast Office Systems"],
            title="Printer and copier maintenance",
            kind="maintenance",
            starts_on=today + timedelta(days=110) - timedelta(days=365),
            ends_on=today + timedelta(days=110),
            annual_cost=Decimal("1450.00"),
            payment_frequency="quarterly",
            notice_days=90,
            auto_renew=True,
            owner=netmgr,
            documents="Office safe, blue folder",
        ),
        dict(
            supplier=suppliers["RM Education"],
            title="Server hardware maintenance",
            kind="maintenance",
            starts_on=start,
            ends_on=end,
            annual_cost=Decimal("1180.00"),
            payment_frequency="annual",
            notice_days=30,
            owner=netmgr,
        ),
        dict(
            supplier=suppliers["Bolton Schools ICT"],
            title="Microsoft 365 A3 and Windows licences (EES)",
            kind="licence",
            starts_on=start,
            ends_on=end,
            annual_cost=Decimal("3150.00"),
            payment_frequency="annual",
            notice_days=60,
            owner=leader,
        ),
    ]
    cis_for = {"Printer and copier maintenance": printers, "Server hardware maintenance": servers}
    for values in contracts:
        services.contract_save(actor=netmgr, school=highfield, cis=cis_for.get(values["title"], []), **values)
        added["contracts"] += 1
    plans = {
        Category.STAFF: [Decimal("1166.67")] * 11 + [Decimal("1166.63")],
        Category.SOFTWARE: [
            Decimal("1000"),
            Decimal("1000"),
            0,
            0,
            0,
            Decimal("800"),
            Decimal("400"),
            0,
            0,
            0,
            0,
            Decimal("2000"),
        ],
    }
    services.budget_save(
        actor=netmgr,
        school=highfield,
        year=year,
        amounts=HIGHFIELD_BUDGET,
        plans=plans,
        holder=leader,
        notes="Agreed by the governors' resources committee.",
    )
    added["budgets"] += 1
    added["expenditure lines"] += _lines(people.get("desk") or netmgr, highfield, start, HIGHFIELD_LINES, suppliers)
    if servers:
        server = servers[0]
        services.ci_cost_save(
            actor=netmgr,
            ci=server,
            method="reducing_balance",
            life_years=5,
            rate_percent=Decimal("40"),
            residual_value=Decimal("150"),
            notes="Reducing balance: servers lose most of their value early.",
        )
    # --- riverside: an academy, September to August -------------------------------------------------------------
    if riverside is not None:
        services.finance_settings_save(actor=admin, school=riverside, funding_type="academy", pupils=1084)
        services.depreciation_defaults_save(
            actor=admin, school=riverside, life_years=dict(services.DEFAULT_LIFE_YEARS) | {"laptop": 4}
        )
        ryear = money.year_of(today, 9)
        rstart, rend = money.year_bounds(ryear, 9)
        rsuppliers = _suppliers(admin, riverside, RIVERSIDE_LINES, {"Northwest Broadband": {}, "Arbor Education": {}})
        added["suppliers"] += len(rsuppliers)
        services.contract_save(
            actor=admin,
            school=riverside,
            supplier=rsuppliers["Northwest Broadband"],
            title="1 Gbit/s leased line",
            kind="connectivity",
            starts_on=rstart,
            ends_on=rend,
            annual_cost=Decimal("4800.00"),
            payment_frequency="monthly",
            notice_days=90,
        )
        services.contract_save(
            actor=admin,
            school=riverside,
            supplier=rsuppliers["Arbor Education"],
            title="Arbor MIS",
            kind="licence",
            starts_on=rstart,
            ends_on=rend,
            annual_cost=Decimal("7900.00"),
            payment_frequency="annual",
            notice_days=90,
        )
        added["contracts"] += 2
        services.budget_save(actor=admin, school=riverside, year=ryear, amounts=RIVERSIDE_BUDGET)
        added["budgets"] += 1
        added["expenditure lines"] += _lines(admin, riverside, rstart, RIVERSIDE_LINES, rsuppliers)
    added["renewal tasks"] = services.contracts_check_notice(today=today)
    return added
