from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "civis.portal"
    label = "portal"
    verbose_name = "Portail"

    def ready(self) -> None:
        # The kept anonymous pages go stale with what they show (tests/civis/test_page_cache.py
        # proves each source stays connected).
        from civis.portal import receivers

        receivers.connect()
