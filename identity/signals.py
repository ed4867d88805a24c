"""What identity announces to the floors above it (they subscribe; identity imports none)."""

from django.dispatch import Signal

# Sent inside the importer's transaction with ``authority_ids``: these authorities changed
# parent, so the readers of their documents (shared upward, administrators above) changed.
# Receivers must do their writes in that same transaction (search records its outbox rows).
authorities_moved = Signal()
