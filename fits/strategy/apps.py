from django.apps import AppConfig

from fits.navigation import NavItem


class StrategyConfig(AppConfig):
    name = "fits.strategy"
    label = "strategy"
    verbose_name = "ICT strategy"
    fits_group = "strategy"
    fits_order = 20
    navigation: list[NavItem] = [
        NavItem("ICT strategy", "strategy:home", icon="flag", visible="can_view_strategy"),
    ]
