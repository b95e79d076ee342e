from django.apps import AppConfig

from fits.navigation import NavItem


class ServiceLevelsConfig(AppConfig):
    name = "servicelevels"
    verbose_name = "Service Level Management"
    fits_group = "processes"
    fits_order = 70
    strategy_facts = {"services": "servicelevels.strategy.it_services", "slas": "servicelevels.strategy.slas"}
    navigation = [
        NavItem("Service levels", "servicelevels:dashboard", icon="chart-bar", visible="can_view_service_levels"),
        NavItem("Service levels by school", "servicelevels:authority", icon="building", visible="is_consultant"),
        NavItem("ICT services", "servicelevels:service_list", icon="category", visible="can_view_service_levels"),
        NavItem("Agreements", "servicelevels:agreement_list", icon="checks", visible="can_view_service_levels"),
        NavItem(
            "Support packages", "servicelevels:package_list", icon="shopping-cart", visible="can_view_service_levels"
        ),
        NavItem(
            "Subscriptions",
            "servicelevels:subscription_list",
            icon="building-community",
            visible="can_view_service_levels",
        ),
        NavItem(
            "School calendars", "servicelevels:calendar_list", icon="calendar", visible="can_view_service_desk_config"
        ),
        NavItem(
            "Service reports", "servicelevels:report_list", icon="clipboard-list", visible="can_view_service_reports"
        ),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "servicelevels.sla_agreed": "servicelevels.maturity.sla_measured",
    }
