from django.apps import AppConfig

from fits.navigation import NavItem


class CmdbConfig(AppConfig):
    name = "cmdb"
    verbose_name = "Configuration Management"
    fits_group = "processes"
    fits_order = 60
    strategy_facts = {"technology": "cmdb.strategy.technology"}
    navigation = [
        NavItem("Configuration items", "cmdb:ci_list", icon="device-desktop", visible="can_view_cmdb"),
        NavItem("Locations", "cmdb:location_list", icon="building", visible="can_view_cmdb"),
        NavItem("Software and licences", "cmdb:software_list", icon="book", visible="can_view_cmdb"),
        NavItem("Import", "cmdb:import", icon="clipboard-list", visible="can_manage_cmdb"),
        NavItem("CMDB audit", "cmdb:audit", icon="checks", visible="can_view_cmdb"),
        NavItem("Inventory agents", "inventory:settings", icon="api", visible="can_view_cmdb"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "cmdb.audited": "cmdb.maturity.agents_reporting",
    }
