"""The full-text half of the database index, per database engine (see search.models)."""

from django.db import migrations

SQLITE = [
    # Terms are analysed in Python (search.french), so the tokenizer only splits words.
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, meta, body, principals, scopes, "
    "tokenize='unicode61 remove_diacritics 2')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts"]
POSTGRESQL = [
    "ALTER TABLE search_searchentry ADD COLUMN vector tsvector",
    "ALTER TABLE search_searchentry ADD COLUMN principals text[] NOT NULL DEFAULT '{}'",
    "ALTER TABLE search_searchentry ADD COLUMN scopes bigint[] NOT NULL DEFAULT '{}'",
    "CREATE INDEX search_entry_vector ON search_searchentry USING gin (vector)",
    "CREATE INDEX search_entry_principals ON search_searchentry USING gin (principals)",
    "CREATE INDEX search_entry_scopes ON search_searchentry USING gin (scopes)",
]
POSTGRESQL_DROP = [
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS vector",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS principals",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS scopes",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
                             _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP})),
    ]
