from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "om.security"
    label = "security"
    verbose_name = "Security Administration"
    fits_group = "om"
    fits_order = 50
    navigation: list = []
