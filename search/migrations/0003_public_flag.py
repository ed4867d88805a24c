"""PostgreSQL: a flag for documents anyone may read, so the common case of the permission
filter is a boolean test instead of an array overlap (see search.backends.postgres). Generated
from the principals by the database, so it never disagrees with them."""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE search_searchentry ADD COLUMN public boolean NOT NULL "
    "GENERATED ALWAYS AS ('public' = ANY(principals)) STORED",
]
POSTGRESQL_DROP = ["ALTER TABLE search_searchentry DROP COLUMN IF EXISTS public"]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_DROP))]
