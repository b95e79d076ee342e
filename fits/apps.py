from django.apps import AppConfig


class FitsConfig(AppConfig):
    name = "fits"
    verbose_name = "FITS core"

    def ready(self) -> None:
        from fits import checks  # noqa: F401  (registers the system checks)
        from fits.scoping import guard_school_links

        guard_school_links()
