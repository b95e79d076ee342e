from django.apps import AppConfig

from fits.navigation import NavItem


class AssessmentConfig(AppConfig):
    name = "fits.assessment"
    label = "assessment"
    verbose_name = "FITS maturity assessment"
    fits_group = "strategy"
    fits_order = 10
    navigation: list[NavItem] = [
        NavItem("Maturity assessment", "assessment:home", icon="checks", visible="can_view_assessment"),
        NavItem("Assessment history", "assessment:history", icon="chart-line", visible="can_view_assessment"),
        NavItem("Schools side by side", "assessment:lea", icon="table", visible="can_moderate_assessment"),
    ]
