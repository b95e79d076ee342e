from django.apps import AppConfig

from fits.navigation import NavItem


class PatchesConfig(AppConfig):
    name = "om.patches"
    label = "patches"
    verbose_name = "Patch Management"
    fits_group = "om"
    fits_order = 60
    navigation = [
        NavItem("Patch compliance", "patches:dashboard", icon="refresh", visible="can_view_patches"),
        NavItem("Patch baseline", "patches:update_list", icon="list-check", visible="can_view_patches"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "patches.compliance": "om.patches.maturity.compliance",
    }
