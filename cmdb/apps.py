from django.apps import AppConfig

from fits.navigation import NavItem


class CmdbConfig(AppConfig):
    name = "cmdb"
    verbose_name = "Configuration Management"
    fits_group = "processes"
    fits_order = 60
    navigation = [
        NavItem("Configuration items", "cmdb:ci_list", icon="device-desktop", visible="can_view_cmdb"),
        NavItem("Inventory agents", "inventory:settings", icon="api", visible="can_view_cmdb"),
    ]
