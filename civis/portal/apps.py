from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "civis.portal"
    label = "portal"
    verbose_name = "Portail"
