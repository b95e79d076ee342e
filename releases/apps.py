from django.apps import AppConfig

from fits.navigation import NavItem


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "Release Management"
    fits_group = "processes"
    fits_order = 45
    navigation = [
        NavItem("Releases", "releases:list", icon="truck-delivery", visible="can_view_release"),
        NavItem("Software library", "releases:library", icon="book", visible="can_view_release"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "releases.dsl": "releases.maturity.dsl_present",
    }
