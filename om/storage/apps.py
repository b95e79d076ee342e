from django.apps import AppConfig

from fits.navigation import NavItem


class StorageConfig(AppConfig):
    name = "om.storage"
    label = "storage"
    verbose_name = "Storage Management"
    fits_group = "om"
    fits_order = 30
    navigation = [
        NavItem("Storage", "storage:overview", icon="chart-bar", visible="can_view_storage"),
        NavItem("Backup jobs", "storage:job_list", icon="device-floppy", visible="can_view_storage"),
        NavItem("Restore requests", "storage:restore_list", icon="arrow-back-up", visible="can_view_storage"),
        NavItem("Restore tests", "storage:test_list", icon="checks", visible="can_view_storage"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "storage.restores_tested": "om.storage.maturity.restores_tested",
        "storage.backups_monitored": "om.storage.maturity.backups_reporting",
    }
    request_handlers = {"storage.restore": ("Restore files (Storage Management)", "om.storage.requests.restore")}
