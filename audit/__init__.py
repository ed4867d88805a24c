"""Ground floor: the audit log (who did what, when in UTC, from where). Every app writes to it
through ``audit.services.audit_record``; it references users, authorities and documents by
string foreign keys and imports no app of the project."""
