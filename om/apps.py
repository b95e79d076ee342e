from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "om"
    label = "om"
    verbose_name = "Operations management"
    fits_group = "om"
    fits_order = 5
    strategy_facts = {"om_policies": "om.strategy.policies"}
    navigation: list = []  # the OM apps list their own pages; the policies page is added by the sysadmin app
