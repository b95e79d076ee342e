from django.apps import AppConfig

from fits.navigation import NavItem


class ServiceLevelsConfig(AppConfig):
    name = "servicelevels"
    verbose_name = "Service Level Management"
    fits_group = "processes"
    fits_order = 70
    navigation = [
        NavItem(
            "School calendars", "servicelevels:calendar_list", icon="calendar", visible="can_view_service_desk_config"
        ),
    ]
