"""Federated identity hardening (issue 18).

- ExternalIdentity is keyed by (issuer, subject), no longer (provider slug, subject): each
  identity gets the issuer of its provider (``oidc:<slug>`` → that provider's issuer; an LDAP
  identity keeps ``ldap:<name>``). Two rows that would then collide (two providers sharing an
  issuer, the same subject through both) keep the oldest; the others are unlinked
  (``unlinked:<id>``, which no issuer ever matches).
- OIDC client secrets are encrypted at rest (core.crypto, CIVIS_FIELD_ENCRYPTION_KEY).
- Provider timeouts are capped at 10 seconds.
"""

from django.core import validators
from django.db import migrations, models

import core.crypto


def fill_issuers(apps, schema_editor):
    identities = apps.get_model("identity", "ExternalIdentity")
    providers = apps.get_model("identity", "OIDCProvider")
    issuers = {f"oidc:{slug}": issuer
               for slug, issuer in providers.objects.values_list("slug", "issuer")}
    seen: set[tuple[str, str]] = set()
    for pk, provider, subject in (identities.objects.order_by("pk")
                                  .values_list("pk", "provider", "subject")):
        issuer = issuers.get(provider, provider)
        if (issuer, subject) in seen:
            issuer = f"unlinked:{pk}"
        seen.add((issuer, subject))
        identities.objects.filter(pk=pk).update(issuer=issuer)


def _rewrite_secrets(apps, schema_editor, change) -> None:
    # Raw SQL: the ORM would decrypt what is still clear text (or the reverse).
    table = schema_editor.quote_name(apps.get_model("identity", "OIDCProvider")._meta.db_table)
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, client_secret FROM {table}")  # noqa: S608 (a model's table)
        rows = cursor.fetchall()
        for pk, secret in rows:
            if secret:
                cursor.execute(f"UPDATE {table} SET client_secret = %s WHERE id = %s",  # noqa: S608
                               [change(secret), pk])


def encrypt_secrets(apps, schema_editor):
    _rewrite_secrets(apps, schema_editor, core.crypto.encrypt)


def decrypt_secrets(apps, schema_editor):
    _rewrite_secrets(apps, schema_editor, core.crypto.decrypt)


def clamp_timeouts(apps, schema_editor):
    providers = apps.get_model("identity", "OIDCProvider")
    providers.objects.filter(timeout__gt=10).update(timeout=10)
    providers.objects.filter(timeout__lt=1).update(timeout=1)


class Migration(migrations.Migration):

    dependencies = [
        ("identity", "0002_federation_and_delegation"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="externalidentity",
            name="identity_unique_provider_subject",
        ),
        migrations.AddField(
            model_name="externalidentity",
            name="issuer",
            field=models.CharField(default="", max_length=255, verbose_name="émetteur"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_issuers, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="externalidentity",
            constraint=models.UniqueConstraint(fields=("issuer", "subject"),
                                               name="identity_unique_issuer_subject"),
        ),
        migrations.AlterField(
            model_name="oidcprovider",
            name="client_secret",
            field=core.crypto.EncryptedTextField(verbose_name="secret du client"),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        migrations.RunPython(clamp_timeouts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="oidcprovider",
            name="timeout",
            field=models.PositiveSmallIntegerField(
                default=5, help_text="Pour chaque appel au fournisseur, 10 secondes au plus.",
                validators=[validators.MinValueValidator(1), validators.MaxValueValidator(10)],
                verbose_name="délai d'attente (s)"),
        ),
    ]
