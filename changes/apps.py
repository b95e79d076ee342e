from django.apps import AppConfig

from fits.navigation import NavItem


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "Change Management"
    fits_group = "processes"
    fits_order = 40
    navigation = [
        NavItem("Changes", "changes:list", icon="switch-horizontal", visible="can_view_change"),
        NavItem("Forward schedule", "changes:forward_schedule", icon="calendar", visible="can_view_change"),
        NavItem("Change advisory boards", "changes:board_list", icon="users-group", visible="can_view_change"),
        NavItem("Standard changes", "changes:template_list", icon="list-check", visible="can_view_change"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "changes.approved_before": "changes.maturity.approved_before_implementation",
    }

    def ready(self) -> None:
        from changes.packs import changes_section
        from servicelevels.packs import register_section

        register_section("changes", "Changes planned", 30, changes_section)
