from django.apps import AppConfig


class PrintingConfig(AppConfig):
    name = "om.printing"
    label = "printing"
    verbose_name = "Print and Output Management"
    fits_group = "om"
    fits_order = 40
    navigation = []
