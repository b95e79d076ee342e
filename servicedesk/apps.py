from django.apps import AppConfig

from fits.navigation import NavItem


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = "Service Desk"
    fits_group = "processes"
    fits_order = 10
    navigation = [
        NavItem("Home", "home", icon="home"),
        NavItem("Knowledge", "knowledge_list", icon="book"),
    ]
