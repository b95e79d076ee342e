from django.apps import AppConfig

from fits.navigation import NavItem


class AvailabilityConfig(AppConfig):
    name = "availability"
    verbose_name = "Availability and Capacity Management"
    fits_group = "processes"
    fits_order = 50
    navigation = [
        NavItem("Monitoring", "availability:overview", icon="eye", visible="can_view_monitoring"),
        NavItem("Capacity", "availability:capacity", icon="chart-bar", visible="can_view_monitoring"),
        NavItem("Maintenance", "availability:maintenance_list", icon="tool", visible="can_view_task"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "availability.monitoring": "availability.maturity.checks_active",
    }
    # The CI page's Monitoring tab (cmdb/views.py imports it at run time: cmdb never imports availability), and
    # the reason monitoring's records (checks, outages, metrics) stay off the CI page's generic "records" tab.
    ci_tab = ("monitoring", "Monitoring", "availability.views.ci_monitoring_tab")
