"""What the document store announces to the floors above it (search subscribes; documents
imports none of them)."""

from django.dispatch import Signal

# Sent inside the transaction that changes documents (content, audience, status, owner,
# grants) with ``document_ids``. Receivers write in that same transaction: search records its
# outbox rows there, so an index update commits or rolls back with the change itself.
documents_changed = Signal()
