from django.apps import AppConfig

from fits.navigation import NavItem


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = "Problem Management"
    fits_group = "processes"
    fits_order = 30
    navigation = [
        NavItem("Problems", "problems:list", icon="bug", visible="can_view_problem"),
        NavItem("Known errors", "problems:known_error_list", icon="book", visible="can_view_problem"),
        NavItem("Recurring incidents", "problems:candidates", icon="refresh", visible="can_view_problem"),
        NavItem("Problem report", "problems:report", icon="chart-bar", visible="can_view_problem"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "problems.from_incidents": "problems.maturity.linked_to_incidents",
    }

    def ready(self) -> None:
        from problems.packs import open_problems_section
        from servicelevels.packs import register_section

        register_section("problems", "Open problems and known errors", 20, open_problems_section)
