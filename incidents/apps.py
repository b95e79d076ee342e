from django.apps import AppConfig

from fits.navigation import NavItem


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incident Management"
    fits_group = "processes"
    fits_order = 20
    navigation = [
        NavItem("Incidents", "incidents:list", icon="alert-triangle"),
        NavItem("Log an incident", "incidents:create", icon="plus", visible="can_log_incident"),
    ]
