from django.apps import AppConfig

from fits.navigation import NavItem


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "Change Management"
    fits_group = "processes"
    fits_order = 40
    navigation = [
        NavItem("Changes", "changes:list", icon="switch-horizontal", visible="can_view_change"),
    ]
