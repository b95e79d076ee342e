from django.apps import AppConfig

from fits.navigation import NavItem


class DirectoryConfig(AppConfig):
    name = "om.directory"
    label = "directory"
    verbose_name = "Directory Services Administration"
    fits_group = "om"
    fits_order = 20
    navigation = [
        NavItem("Directory", "directory:overview", icon="building-community", visible="can_view_directory"),
        NavItem("Directory accounts", "directory:account_list", icon="users", visible="can_view_directory"),
        NavItem("Starters and leavers", "directory:request_list", icon="user-check", visible="can_view_directory"),
        NavItem("Directory reports", "directory:reports", icon="list-check", visible="can_view_directory"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "directory.sync": "om.directory.maturity.sync_running",
    }
    # Catalogue items the Service Desk can have carried out by Directory Services (servicedesk/handlers.py).
    request_handlers = {
        "directory.starter": ("Directory: create a starter's account", "om.directory.requests.starter"),
        "directory.change": ("Directory: change an account", "om.directory.requests.change"),
        "directory.leaver": ("Directory: disable a leaver's account", "om.directory.requests.leaver"),
    }
