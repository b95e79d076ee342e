from django.apps import AppConfig


class ServiceLevelsConfig(AppConfig):
    name = "servicelevels"
    verbose_name = "Service Level Management"
    fits_group = "processes"
    fits_order = 70
    navigation = []
