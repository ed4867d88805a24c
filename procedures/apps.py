from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = "Démarches en ligne"

    def ready(self) -> None:
        # Published procedures are results of the portal's search, in its places block.
        from procedures.places import procedure_places
        from search.places import register_place_source

        register_place_source(procedure_places)
