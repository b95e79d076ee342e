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
        NavItem("My tickets", "incidents:mine", icon="inbox", visible="can_log_incident"),
        NavItem("Take a call", "incidents:phone", icon="headset", visible="can_log_for_others"),
        NavItem("Tasks", "incidents:task_list", icon="list-check", visible="can_view_task"),
        NavItem("Timetable", "incidents:timetable", icon="calendar", visible="can_view_timetable"),
        NavItem("Safeguarding leads", "safeguarding_leads", icon="lock", visible="can_manage_safeguarding"),
        NavItem("Service desk settings", "incidents:config", icon="settings", visible="can_view_service_desk_config"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "incidents.priority_category": "incidents.maturity.priority_and_category",
    }
