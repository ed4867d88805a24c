"""Writes of the document store. Each: one function, the acting user as keyword, one
transaction, an audit row; side effects (text extraction, indexing) after commit.

One module per concern; the names are re-exported here."""

from documents.services.bulk import (
    BulkRefusal,
    BulkResult,
    PublishOutcome,
    bulk_create,
    bulk_publish,
    bulk_submit,
    guess_document_type,
    guess_title,
)
from documents.services.deliberation import FIELDS as DELIBERATION_FIELDS
from documents.services.deliberation import deliberation_clean, deliberation_details_save
from documents.services.personal import personal_document_file, personal_document_withdraw
from documents.services.review import (
    document_approve,
    document_send_back,
    document_submit,
)
from documents.services.schedule import (
    document_schedule,
    document_unschedule,
    documents_expire_due,
    documents_go_live_due,
    documents_schedule_apply,
)
from documents.services.store import (
    KEEP,
    TRANSITIONS,
    Keep,
    Upload,
    document_access_record,
    document_create,
    document_edit,
    document_publish,
    document_replace_file,
    document_withdraw,
    grant_add,
    grant_remove,
    start_of_day,
)

__all__ = [
    "DELIBERATION_FIELDS",
    "KEEP",
    "TRANSITIONS",
    "BulkRefusal",
    "BulkResult",
    "Keep",
    "PublishOutcome",
    "Upload",
    "bulk_create",
    "bulk_publish",
    "bulk_submit",
    "deliberation_clean",
    "deliberation_details_save",
    "document_access_record",
    "document_approve",
    "document_create",
    "document_edit",
    "document_publish",
    "document_replace_file",
    "document_schedule",
    "document_send_back",
    "document_submit",
    "document_unschedule",
    "document_withdraw",
    "documents_expire_due",
    "documents_go_live_due",
    "documents_schedule_apply",
    "grant_add",
    "grant_remove",
    "guess_document_type",
    "guess_title",
    "personal_document_file",
    "personal_document_withdraw",
    "start_of_day",
]
