# The audit log moved from documents to its own app: this adopts the existing table
# (documents_auditevent) and its rows into the audit app's state. Nothing runs on the database.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("documents", "0001_initial"),
        ("identity", "0002_federation_and_delegation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="date (UTC)")),
                        ("action", models.CharField(choices=[("create", "Création"), ("update", "Modification"), ("publish", "Publication"), ("withdraw", "Retrait"), ("version", "Nouvelle version"), ("grant", "Accès accordé"), ("revoke", "Accès retiré"), ("view", "Consultation"), ("download", "Téléchargement"), ("role", "Changement de rôle")], max_length=12, verbose_name="action")),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="adresse IP")),
                        ("detail", models.JSONField(blank=True, default=dict, verbose_name="détail")),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="auteur")),
                        ("authority", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="identity.authority", verbose_name="collectivité")),
                        ("document", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="audit_events", to="documents.document", verbose_name="document")),
                    ],
                    options={
                        "verbose_name": "événement d'audit",
                        "verbose_name_plural": "journal d'audit",
                        "db_table": "documents_auditevent",
                        "ordering": ["-at"],
                        "indexes": [models.Index(fields=["authority", "-at"], name="documents_a_authori_e90a97_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
