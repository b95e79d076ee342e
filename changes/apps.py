from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "Change Management"
    fits_group = "processes"
    fits_order = 40
    # No pages yet: the RFC pages, the CAB meeting and the forward schedule add their navigation items.
    navigation = []
