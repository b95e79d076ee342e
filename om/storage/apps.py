from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "om.storage"
    label = "storage"
    verbose_name = "Storage Management"
    fits_group = "om"
    fits_order = 30
    navigation = []
