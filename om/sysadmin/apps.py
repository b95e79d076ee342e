from django.apps import AppConfig


class SysadminConfig(AppConfig):
    name = "om.sysadmin"
    label = "sysadmin"
    verbose_name = "Systems Administration"
    fits_group = "om"
    fits_order = 10
    navigation: list = []
