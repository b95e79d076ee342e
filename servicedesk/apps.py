from django.apps import AppConfig

from fits.navigation import NavItem


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = "Service Desk"
    fits_group = "processes"
    fits_order = 10
    strategy_facts = {"catalogue": "servicedesk.strategy.catalogue"}
    navigation = [
        NavItem("Home", "home", icon="home"),
        NavItem("Workbench", "workbench", icon="layout-list", visible="can_use_workbench"),
        NavItem("Request something", "catalogue:index", icon="shopping-cart"),
        NavItem("Approvals", "catalogue:approvals", icon="thumb-up", visible="may_approve_requests"),
        NavItem("Inbound mail", "mail:inbound_list", icon="mail", visible="can_triage_mail"),
        NavItem("Knowledge", "knowledge_list", icon="book"),
        NavItem("Catalogue", "catalogue:type_list", icon="list-details", visible="can_view_catalogue_settings"),
    ]
