from django.apps import AppConfig

from fits.navigation import NavItem


class SecurityConfig(AppConfig):
    name = "om.security"
    label = "security"
    verbose_name = "Security Administration"
    fits_group = "om"
    fits_order = 50
    navigation = [
        NavItem("Breach log", "security:breach_list", icon="alert-octagon", visible="can_view_security"),
        NavItem("Firewall rules", "security:rule_list", icon="lock", visible="can_view_security_register"),
        NavItem("Antivirus", "security:antivirus", icon="device-desktop", visible="can_view_security_register"),
        NavItem("Admin accounts", "security:account_list", icon="key", visible="can_view_security"),
        NavItem("Security categories", "security:categories", icon="category", visible="can_view_security"),
    ]
    # The FITS maturity assessment's evidence from live data (fits/assessment/evidence.py).
    maturity_evidence = {
        "security.firewall_reviewed": "om.security.maturity.firewall_reviewed",
    }
