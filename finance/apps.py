from django.apps import AppConfig

from fits.navigation import NavItem


class FinanceConfig(AppConfig):
    name = "finance"
    label = "finance"
    verbose_name = "Financial Management"
    fits_group = "processes"
    fits_order = 100
    navigation = [
        NavItem("Finance", "finance:overview", icon="chart-bar", visible="can_view_finance"),
        NavItem("Expenditure record", "finance:expenditure_list", icon="table", visible="can_view_finance"),
        NavItem("Contracts", "finance:contract_list", icon="clipboard-list", visible="can_view_finance"),
        NavItem("CI costs", "finance:ci_costs", icon="chart-line", visible="can_view_finance"),
        NavItem("Finance reports", "finance:reports", icon="list-details", visible="can_view_finance_reports"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {"finance.budget": "finance.maturity.budget_this_year"}
    # The school's strategies' live facts (fits/strategy/facts.py): this year's ICT budget by category.
    strategy_facts = {"budget": "finance.strategy.budget"}
