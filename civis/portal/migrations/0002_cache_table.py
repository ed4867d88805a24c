"""The shared cache's table (settings: CIVIS_CACHE_URL unset means the database cache), so
``migrate`` is all a new installation needs. Created even when Redis is configured, so that
unsetting CIVIS_CACHE_URL later just works."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", settings.CIVIS_CACHE_TABLE,
                 database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    quoted = schema_editor.quote_name(settings.CIVIS_CACHE_TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {quoted}")


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_cache_table, drop_cache_table),
    ]
