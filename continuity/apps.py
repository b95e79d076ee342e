from django.apps import AppConfig

from fits.navigation import NavItem


class ContinuityConfig(AppConfig):
    name = "continuity"
    label = "continuity"
    verbose_name = "Service Continuity Management"
    fits_group = "processes"
    fits_order = 90
    navigation: list[NavItem] = [
        NavItem("Continuity", "continuity:overview", icon="alert-octagon", visible="can_view_continuity"),
        NavItem("Risk register", "continuity:risk_list", icon="alert-triangle", visible="can_view_continuity"),
        NavItem("Recovery plans", "continuity:plan_list", icon="list-check", visible="can_view_continuity"),
        NavItem("Continuity tests", "continuity:test_list", icon="checks", visible="can_view_continuity"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {"continuity.tested": "continuity.maturity.plans_tested"}
