from django.apps import AppConfig


class PatchesConfig(AppConfig):
    name = "om.patches"
    label = "patches"
    verbose_name = "Patch Management"
    fits_group = "om"
    fits_order = 60
    navigation: list = []
