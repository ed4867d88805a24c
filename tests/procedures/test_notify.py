"""E-mail notifications (procedures.notify, procedures.tasks) through Django's SMTP backend to a
real SMTP server process (tests/procedures/smtp.py): what is delivered, to whom, saying what —
and never the answers, a message's text or a file."""

from __future__ import annotations

import io

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from civis.portal.demo.filegen import make_pdf
from documents.services import Upload
from identity.models import Membership
from identity.services import membership_revoke
from procedures import notify
from procedures.models import RequestEvent, RequestState
from procedures.services.files import message_send
from tests.factories import make_user
from tests.procedures.factories import make_instructor, make_procedure, make_request
from tests.procedures.smtp import free_port

pytestmark = pytest.mark.django_db

SECRET = "Dupont-Réponse-Confidentielle"


@pytest.fixture
def procedure(territory):
    return make_procedure(
        territory.merignac,
        title="Inscription scolaire",
        contact_email="scolarite@merignac.example.fr",
    )


@pytest.fixture
def citizen(territory):
    territory.citizen.email = "citoyen@example.fr"
    territory.citizen.save()
    return territory.citizen


def instructor(procedure, username: str, email: str):
    user = make_instructor(procedure, username)
    user.email = email
    user.save()
    return user


@pytest.fixture
def instructors(procedure):
    return [
        instructor(procedure, "instructeur-1", "instructeur1@merignac.example.fr"),
        instructor(procedure, "instructeur-2", "instructeur2@merignac.example.fr"),
    ]


def request_of(procedure, user, state=RequestState.SUBMITTED):
    return make_request(procedure, user, state=state, data={"nom": SECRET})


def text_of(message) -> str:
    return message.get_content()


def notified(callbacks, send) -> None:
    """Call ``send`` in a transaction and run what it left for after the commit."""
    with callbacks(execute=True):
        send()


def test_the_applicant_is_told_the_request_was_submitted(
    mailbox, procedure, citizen, django_capture_on_commit_callbacks
):
    request = request_of(procedure, citizen)
    notified(
        django_capture_on_commit_callbacks, lambda: notify.notify_applicant(request.pk, "submitted")
    )

    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == "citoyen@example.fr"
    assert mail["X-Envelope-To"] == "citoyen@example.fr"
    assert mail["Subject"] == f"Dossier {request.number} déposé : Inscription scolaire"
    assert mail["Auto-Submitted"] == "auto-generated"
    body = text_of(mail)
    assert request.number in body
    assert "« Inscription scolaire » (Mérignac)" in body
    assert "État du dossier : Déposé" in body
    assert "accusé d'enregistrement" in body
    assert "Ce qui vous est demandé : Rien pour l'instant." in body
    assert f"https://civis.example.fr/mon-espace/demarches/{request.uuid}/" in body
    assert "scolarite@merignac.example.fr" in body
    assert SECRET not in body


@pytest.mark.parametrize(
    ("event", "state", "subject", "phrase"),
    [
        ("acknowledged", RequestState.INSTRUCTION, "Accusé de réception", "voies de recours"),
        ("opened", RequestState.INSTRUCTION, "Instruction de votre dossier", "a commencé"),
        (
            "correction",
            RequestState.SUBMITTED,
            "Correction demandée",
            "corrigez votre dossier puis déposez-le à nouveau",
        ),
        ("corrected", RequestState.INSTRUCTION, "corrigé", "retourne à l'instructeur"),
        ("accepted", RequestState.ACCEPTED, "Décision sur votre dossier", "est acceptée"),
        (
            "refused",
            RequestState.REFUSED,
            "Décision sur votre dossier",
            "voies et délais de recours",
        ),
        ("closed", RequestState.CLOSED, "Décision sur votre dossier", "classé sans suite"),
        ("reopened", RequestState.INSTRUCTION, "rouvert", "la décision précédente est retirée"),
        ("message", RequestState.INSTRUCTION, "Nouveau message", "Connectez-vous pour lire"),
    ],
)
def test_every_event_tells_the_applicant_what_happened(
    mailbox, procedure, citizen, event, state, subject, phrase
):
    request = request_of(procedure, citizen, state)
    request.correction_asked = "Merci de fournir le livret de famille de M. Dupont."
    request.motivation = "Motif confidentiel du refus."
    request.save()

    assert notify.deliver(request.pk, notify.APPLICANT, event) == "sent"

    (mail,) = mailbox.wait_for(1)
    assert subject in mail["Subject"]
    assert request.number in mail["Subject"]
    body = text_of(mail)
    assert phrase in body
    assert f"État du dossier : {request.get_state_display()}" in body
    # Least data: no answers, no correction text, no motivation.
    for private in (SECRET, "livret de famille", "Motif confidentiel"):
        assert private not in body


def test_the_alias_names_of_the_services_are_understood(mailbox, procedure, citizen):
    request = request_of(procedure, citizen, RequestState.ACCEPTED)
    assert notify.deliver(request.pk, notify.APPLICANT, "accept") == "sent"
    (mail,) = mailbox.wait_for(1)
    assert "est acceptée" in text_of(mail)


def test_opening_with_the_acknowledgement_sends_one_mail(mailbox, procedure, citizen):
    request = request_of(procedure, citizen, RequestState.INSTRUCTION)
    RequestEvent.objects.create(
        request=request, action=RequestEvent.Action.OPEN, state=RequestState.INSTRUCTION
    )
    RequestEvent.objects.create(
        request=request, action=RequestEvent.Action.ACKNOWLEDGE, state=RequestState.INSTRUCTION
    )
    assert notify.deliver(request.pk, notify.APPLICANT, "open") == "covered"
    assert notify.deliver(request.pk, notify.APPLICANT, "acknowledge") == "sent"
    assert len(mailbox.wait_for(1)) == 1


def test_instructors_get_one_mail_each_with_the_admin_link(
    mailbox, territory, procedure, citizen, instructors, django_capture_on_commit_callbacks
):
    # Not mailed: an agent of the owner who does not instruct, and an instructor whose role
    # ended (still in the group).
    territory.agent.email = "agent@merignac.example.fr"
    territory.agent.save()
    former = instructor(procedure, "ancien", "ancien@merignac.example.fr")
    membership_revoke(
        actor=None, membership=Membership.objects.get(user=former, authority=territory.merignac)
    )
    request = request_of(procedure, citizen)

    notified(
        django_capture_on_commit_callbacks,
        lambda: notify.notify_instructors(request.pk, "submitted"),
    )

    mails = mailbox.wait_for(2)
    assert sorted(m["To"] for m in mails) == [
        "instructeur1@merignac.example.fr",
        "instructeur2@merignac.example.fr",
    ]
    for mail in mails:
        assert (
            mail["Subject"]
            == f"Nouveau dossier {request.number} à instruire : Inscription scolaire"
        )
        body = text_of(mail)
        assert f"https://civis.example.fr/admin/demarches/dossiers/{request.uuid}/" in body
        assert SECRET not in body
        assert citizen.username not in body


def test_the_assigned_instructor_alone_is_mailed(mailbox, procedure, citizen, instructors):
    request = request_of(procedure, citizen, RequestState.INSTRUCTION)
    request.assigned_to = instructors[1]
    request.save()
    assert notify.deliver(request.pk, notify.INSTRUCTORS, "corrected") == "sent"
    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == "instructeur2@merignac.example.fr"
    assert "corrigé son dossier" in text_of(mail)


def test_an_instructors_message_mails_the_applicant_not_its_text(
    mailbox, procedure, citizen, instructors, django_capture_on_commit_callbacks
):
    request = request_of(procedure, citizen, RequestState.INSTRUCTION)
    upload = Upload(io.BytesIO(make_pdf("Pièce", ["Contenu de la pièce jointe."])), "piece.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        message_send(
            actor=instructors[0],
            request=request,
            body="Votre quotient familial de 1234 € est confirmé.",
            uploads=[upload],
        )
    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == "citoyen@example.fr"
    assert mail["Subject"].startswith(f"Nouveau message sur votre dossier {request.number}")
    assert not mail.is_multipart()  # no file joined
    body = text_of(mail)
    assert "1234" not in body and "quotient" not in body


def test_an_applicants_message_mails_the_instructors(
    mailbox, procedure, citizen, instructors, django_capture_on_commit_callbacks
):
    request = request_of(procedure, citizen, RequestState.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        message_send(actor=citizen, request=request, body="Mon adresse a changé : 3 rue Verte.")
    mails = mailbox.wait_for(2)
    assert sorted(m["To"] for m in mails) == [u.email for u in instructors]
    for mail in mails:
        assert "Nouveau message du demandeur" in mail["Subject"]
        assert "rue Verte" not in text_of(mail)


def test_nothing_is_sent_when_the_transaction_is_undone(
    mailbox, procedure, citizen, django_capture_on_commit_callbacks
):
    request = request_of(procedure, citizen)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notify.notify_applicant(request.pk, "submitted")
                raise RuntimeError("the transition failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mailbox.wait_for(1, timeout=0.5) == []


def test_nobody_to_tell(mailbox, procedure, territory):
    no_address = make_user("sans-adresse", email="")
    request = request_of(procedure, no_address)
    assert notify.deliver(request.pk, notify.APPLICANT, "submitted") == "nobody"
    assert notify.deliver(request.pk, notify.INSTRUCTORS, "submitted") == "nobody"
    deleted = request_of(procedure, None)  # the applicant deleted their account
    assert notify.deliver(deleted.pk, notify.APPLICANT, "accepted") == "nobody"
    assert notify.deliver(10_000_000, notify.APPLICANT, "accepted") == "gone"
    assert mailbox.messages() == []


def test_an_unknown_event_is_a_programming_error(procedure, citizen):
    request = request_of(procedure, citizen)
    with pytest.raises(ValueError, match="Unknown notification event"):
        notify.notify_applicant(request.pk, "exploded")


def test_a_mail_server_failure_never_breaks_the_write(
    settings, procedure, citizen, instructors, django_capture_on_commit_callbacks, caplog
):
    """The server is down: the message is stored, the task logs the failure (the immediate
    backend of the tests cannot retry later)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nobody listens
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    request = request_of(procedure, citizen, RequestState.INSTRUCTION)
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(actor=instructors[0], request=request, body="Bonjour")
    assert message.pk
    assert notify.deliver(request.pk, notify.APPLICANT, "message") == "failed"
    assert "could not be sent" in caplog.text


def test_a_failed_mail_is_retried_later_by_the_worker(settings, procedure, citizen):
    """With the database queue (production), a failure re-enqueues the mail with a delay."""
    settings.TASKS = {
        **settings.TASKS,
        "civis": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    request = request_of(procedure, citizen)

    assert notify.deliver(request.pk, notify.APPLICANT, "submitted") == "retry"

    (queued,) = DBTaskResult.objects.filter(task_path="procedures.tasks.send_request_mail")
    assert queued.args_kwargs["args"] == [request.pk, "applicant", "submitted", 1]
    assert queued.run_after is not None
    # The last attempt gives up (logged), and queues nothing more.
    assert notify.deliver(request.pk, notify.APPLICANT, "submitted", attempt=4) == "failed"
    assert DBTaskResult.objects.count() == 1


def test_the_task_sends_through_the_queue(mailbox, procedure, citizen):
    """The task itself (procedures.tasks.send_request_mail), run by the test backend."""
    from procedures.tasks import send_request_mail

    request = request_of(procedure, citizen, RequestState.REFUSED)
    result = send_request_mail.enqueue(request.pk, notify.APPLICANT, "refused")
    assert result.return_value == "sent"
    (mail,) = mailbox.wait_for(1)
    assert "est refusée" in text_of(mail)
