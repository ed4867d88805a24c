from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Recherche"

    def ready(self) -> None:
        # The lower floors announce their changes; search keeps its indexes in step. A test
        # (tests/search/test_outbox.py) proves these stay connected.
        from search import receivers

        receivers.connect()
