from django.apps import AppConfig

from fits.navigation import NavItem


class SysadminConfig(AppConfig):
    name = "om.sysadmin"
    label = "sysadmin"
    verbose_name = "Systems Administration"
    fits_group = "om"
    fits_order = 10
    ci_tab = ("logbook", "Logbook", "om.sysadmin.views.ci_logbook_tab", {"server"})
    navigation = [
        NavItem("Operations", "om:index", icon="settings", visible="can_view_operations"),
        NavItem("Routine operations", "sysadmin:routines", icon="list-check", visible="can_view_operations"),
        NavItem("Server logbooks", "sysadmin:servers", icon="clipboard-list", visible="can_view_operations"),
        NavItem("Run books", "sysadmin:runbooks", icon="book", visible="can_view_operations"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "sysadmin.routines_on_time": "om.sysadmin.maturity.routines_on_time",
    }
