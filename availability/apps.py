from django.apps import AppConfig

from fits.navigation import NavItem


class AvailabilityConfig(AppConfig):
    name = "availability"
    verbose_name = "Availability and Capacity Management"
    fits_group = "processes"
    fits_order = 50
    navigation: list[NavItem] = []  # the pages helper fills this in (overview, maintenance)
