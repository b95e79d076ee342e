from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "om.directory"
    label = "directory"
    verbose_name = "Directory Services Administration"
    fits_group = "om"
    fits_order = 20
    navigation = []
