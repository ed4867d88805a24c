"""Every write of online procedures: one function per action, the acting user as ``actor=``,
one durable transaction, an audit row, side effects (mails, webhooks) after commit.

procedures.py — procedures, form revisions, instructors; requests.py — a request's life;
files.py — attachments and messages."""
