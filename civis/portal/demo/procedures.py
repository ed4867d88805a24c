"""Demo online procedures (issue 11): three published procedures with real-looking French
forms — « Demande d'acte de naissance » and « Inscription scolaire » for Mérignac,
« Demande de subvention associative » for Bordeaux Métropole —, one instructor account per
procedure, and requests of the demo citizen ``citoyen`` in every state (brouillon, déposé, en
instruction, accepté with its decision PDF, refusé, classé sans suite), with messages.

Everything goes through the services (``procedures.services``), acted by the demo's
publishers, instructors and citizen. Running the demo again changes nothing: a procedure is
recognised by its slug, and its requests are only made when it is created.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.management.base import OutputWrapper
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from documents.services.store import Upload
from identity.models import Authority, Membership, User
from identity.services import membership_grant
from procedures.models import Procedure, Request
from procedures.services.files import attachment_add, message_send
from procedures.services.procedures import (
    instructors_set,
    procedure_create,
    revision_publish,
    revision_save_fields,
)
from procedures.services.requests import (
    request_ask_correction,
    request_decide,
    request_open,
    request_save,
    request_start,
    request_submit,
)

MERIGNAC = {"kind": Authority.Kind.COMMUNE, "insee_code": "33281"}
METROPOLE = {"kind": Authority.Kind.EPCI, "siren": "243300316"}
CITIZEN = "citoyen"

# (username, first name, last name, authority lookup) — an agent of the owner, instructor.
INSTRUCTORS = [
    ("instructeur-etat-civil-merignac", "Nadia", "Roux", MERIGNAC),
    ("instructeur-scolaire-merignac", "Julien", "Faure", MERIGNAC),
    ("instructeur-subventions-metropole", "Hélène", "Garnier", METROPOLE),
]

APPEAL_MERIGNAC = (
    "Cette décision peut faire l'objet d'un recours gracieux auprès du maire de Mérignac, "
    "ou d'un recours contentieux devant le tribunal administratif de Bordeaux, dans un délai "
    "de deux mois à compter de sa notification (www.telerecours.fr)."
)
APPEAL_METROPOLE = (
    "Cette décision peut faire l'objet d'un recours gracieux auprès du président de Bordeaux "
    "Métropole, ou d'un recours contentieux devant le tribunal administratif de Bordeaux, "
    "dans un délai de deux mois à compter de sa notification (www.telerecours.fr)."
)

BIRTH_FIELDS: list[dict[str, Any]] = [
    {"key": "titulaire", "type": "header", "label": "Personne concernée par l'acte"},
    {"key": "nom", "type": "text", "label": "Nom de naissance", "required": True},
    {
        "key": "prenoms",
        "type": "text",
        "label": "Prénoms",
        "help": "Tous les prénoms, dans l'ordre de l'état civil.",
        "required": True,
    },
    {"key": "date_naissance", "type": "date", "label": "Date de naissance", "required": True},
    {
        "key": "commune_naissance",
        "type": "text",
        "label": "Commune de naissance",
        "help": "La mairie ne délivre que les actes des naissances survenues à Mérignac.",
        "required": True,
    },
    {"key": "filiation", "type": "header", "label": "Filiation"},
    {"key": "nom_pere", "type": "text", "label": "Nom et prénoms du père ou du parent 1"},
    {"key": "nom_mere", "type": "text", "label": "Nom et prénoms de la mère ou du parent 2"},
    {"key": "demande", "type": "header", "label": "Votre demande"},
    {
        "key": "type_acte",
        "type": "choice",
        "label": "Type d'acte",
        "choices": [
            "Copie intégrale",
            "Extrait avec filiation",
            "Extrait sans filiation",
            "Extrait plurilingue",
        ],
        "required": True,
    },
    {
        "key": "nombre",
        "type": "integer",
        "label": "Nombre d'exemplaires",
        "min": 1,
        "max": 5,
        "required": True,
    },
    {
        "key": "motif",
        "type": "textarea",
        "label": "Motif de la demande",
        "help": "Par exemple : mariage, carte d'identité, succession.",
        "required": True,
    },
    {
        "key": "adresse_envoi",
        "type": "address",
        "label": "Adresse d'envoi de l'acte",
        "required": True,
    },
]

SCHOOL_FIELDS: list[dict[str, Any]] = [
    {
        "key": "intro",
        "type": "explanation",
        "label": (
            "L'inscription concerne les enfants qui entrent en petite section de maternelle, "
            "en CP, ou qui arrivent à Mérignac. L'affectation dans une école dépend de "
            "l'adresse du foyer."
        ),
    },
    {"key": "enfant", "type": "header", "label": "L'enfant"},
    {"key": "nom_enfant", "type": "text", "label": "Nom de l'enfant", "required": True},
    {"key": "prenom_enfant", "type": "text", "label": "Prénom de l'enfant", "required": True},
    {
        "key": "naissance_enfant",
        "type": "date",
        "label": "Date de naissance de l'enfant",
        "required": True,
    },
    {
        "key": "niveau",
        "type": "choice",
        "label": "Niveau à la rentrée",
        "choices": ["Petite section", "Moyenne section", "Grande section", "CP", "CE1", "CE2"],
        "required": True,
    },
    {
        "key": "ecole_souhaitee",
        "type": "choice",
        "label": "École souhaitée",
        "choices": [
            "École Jean-Jaurès",
            "École Jules-Ferry",
            "École Marcel-Pagnol",
            "École Paul-Langevin",
        ],
        "help": "Un vœu : l'affectation suit la carte scolaire.",
        "required": True,
    },
    {"key": "responsable", "type": "header", "label": "Le responsable légal"},
    {
        "key": "nom_responsable",
        "type": "text",
        "label": "Nom et prénom du responsable légal",
        "required": True,
    },
    {"key": "telephone", "type": "phone", "label": "Téléphone", "required": True},
    {"key": "courriel", "type": "email", "label": "Courriel"},
    {"key": "adresse", "type": "address", "label": "Adresse du foyer", "required": True},
    {"key": "commune", "type": "commune", "label": "Commune de résidence", "required": True},
    {"key": "pieces", "type": "header", "label": "Pièces justificatives"},
    {
        "key": "justificatif_domicile",
        "type": "attachment",
        "label": "Justificatif de domicile de moins de trois mois",
        "allowed_types": ["pdf", "jpg", "jpeg", "png"],
        "max_size_mb": 5,
        "required": True,
    },
    {
        "key": "livret_famille",
        "type": "attachment",
        "label": "Livret de famille (pages parents et enfant)",
        "allowed_types": ["pdf", "jpg", "jpeg", "png"],
        "max_size_mb": 5,
    },
    {"key": "accueil", "type": "header", "label": "Accueil périscolaire"},
    {
        "key": "periscolaire",
        "type": "yesno",
        "label": "Besoin d'un accueil périscolaire ?",
        "required": True,
    },
    {
        "key": "jours_accueil",
        "type": "multiple",
        "label": "Jours d'accueil",
        "choices": ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"],
        "condition": {"field": "periscolaire", "value": "oui"},
        "required": True,
    },
    {
        "key": "fratrie",
        "type": "repeat",
        "label": "Frères et sœurs déjà scolarisés à Mérignac",
        "max_repeat": 6,
        "children": [
            {"key": "prenom_frere", "type": "text", "label": "Prénom", "required": True},
            {"key": "ecole_frere", "type": "text", "label": "École fréquentée"},
        ],
    },
    {"key": "remarques", "type": "textarea", "label": "Informations utiles (santé, allergies)"},
]

GRANT_FIELDS: list[dict[str, Any]] = [
    {"key": "association", "type": "header", "label": "L'association"},
    {"key": "nom_association", "type": "text", "label": "Nom de l'association", "required": True},
    {
        "key": "siret",
        "type": "siret",
        "label": "Numéro SIRET",
        "help": "14 chiffres, sur l'avis de situation au répertoire SIRENE.",
        "required": True,
    },
    {"key": "siege", "type": "address", "label": "Adresse du siège", "required": True},
    {"key": "commune_siege", "type": "commune", "label": "Commune du siège", "required": True},
    {"key": "representant", "type": "text", "label": "Représentant légal", "required": True},
    {"key": "courriel_asso", "type": "email", "label": "Courriel", "required": True},
    {"key": "projet", "type": "header", "label": "Le projet"},
    {"key": "intitule", "type": "text", "label": "Intitulé du projet", "required": True},
    {
        "key": "description_projet",
        "type": "textarea",
        "label": "Description du projet et public visé",
        "required": True,
    },
    {
        "key": "montant",
        "type": "decimal",
        "label": "Montant demandé (euros)",
        "min": 100,
        "max": 50000,
        "required": True,
    },
    {
        "key": "budget",
        "type": "attachment",
        "label": "Budget prévisionnel du projet",
        "allowed_types": ["pdf"],
        "max_size_mb": 5,
        "required": True,
    },
    {
        "key": "iban",
        "type": "iban",
        "label": "IBAN du compte de l'association",
        "help": "Le versement se fait sur ce compte.",
        "required": True,
    },
    {
        "key": "engagement",
        "type": "checkbox",
        "label": "Je certifie exactes les informations de cette demande.",
        "required": True,
    },
]


@dataclass(frozen=True)
class DemoProcedure:
    slug: str
    owner: dict[str, str]
    publisher: str
    instructor: str
    title: str
    fields: list[dict[str, Any]]
    attrs: dict[str, Any]


PROCEDURES = [
    DemoProcedure(
        slug="acte-de-naissance-merignac",
        owner=MERIGNAC,
        publisher="editeur-merignac",
        instructor="instructeur-etat-civil-merignac",
        title="Demande d'acte de naissance",
        fields=BIRTH_FIELDS,
        attrs={
            "description": (
                "Recevez par courrier une copie intégrale ou un extrait d'acte de naissance, "
                "pour une naissance survenue à Mérignac. La démarche est gratuite."
            ),
            "eligibility": "signed_in",
            "needed_documents": "",
            "expected_days": 10,
            "silence_means": "refusal",
            "appeal": APPEAL_MERIGNAC,
            "contact_email": "etat-civil@merignac.demo.civis.invalid",
            "contact_phone": "05 56 55 66 00",
            "decision_template": (
                "Madame, Monsieur {demandeur},\n\nVotre demande {numero} (« {demarche} ») "
                "a reçu la décision suivante : {decision}.\n\n{motivation}\n\n"
                "L'acte ({champ:type_acte}) vous est envoyé par courrier.\n\n"
                "Le service de l'état civil de {collectivite}, le {date}."
            ),
        },
    ),
    DemoProcedure(
        slug="inscription-scolaire-merignac",
        owner=MERIGNAC,
        publisher="editeur-merignac",
        instructor="instructeur-scolaire-merignac",
        title="Inscription scolaire",
        fields=SCHOOL_FIELDS,
        attrs={
            "description": (
                "Inscrivez votre enfant dans une école maternelle ou élémentaire publique de "
                "Mérignac, et demandez son accueil périscolaire."
            ),
            "eligibility": "signed_in",
            "needed_documents": (
                "Justificatif de domicile de moins de trois mois\n"
                "Livret de famille ou extrait d'acte de naissance de l'enfant"
            ),
            "expected_days": 30,
            "silence_means": "refusal",
            "appeal": APPEAL_MERIGNAC,
            "contact_email": "education@merignac.demo.civis.invalid",
            "contact_phone": "05 56 55 66 40",
        },
    ),
    DemoProcedure(
        slug="subvention-associative-metropole",
        owner=METROPOLE,
        publisher="editeur-metropole",
        instructor="instructeur-subventions-metropole",
        title="Demande de subvention associative",
        fields=GRANT_FIELDS,
        attrs={
            "description": (
                "Les associations du territoire demandent une subvention de fonctionnement ou "
                "de projet à Bordeaux Métropole. Dépôt des dossiers avant le 31 janvier."
            ),
            "eligibility": "signed_in",
            "needed_documents": "Budget prévisionnel du projet (PDF)\nRelevé d'identité bancaire",
            "expected_days": 60,
            "silence_means": "refusal",
            "appeal": APPEAL_METROPOLE,
            "contact_email": "subventions@bordeaux-metropole.demo.civis.invalid",
        },
    ),
]

ADDRESS = "12 rue des Lilas\n33700 Mérignac"


def _pdf(title: str, lines: list[str]) -> Upload:
    """A small one-page PDF, as a scanned document the citizen would send."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(60, 780, title)
    pdf.setFont("Helvetica", 11)
    for n, line in enumerate(lines):
        pdf.drawString(60, 750 - 16 * n, line)
    pdf.showPage()
    pdf.save()
    buffer.seek(0)
    name = title.lower().replace(" ", "-").replace("'", "-")
    return Upload(buffer, f"{name}.pdf")


def _account(username: str, first: str, last: str, lookup: dict[str, str], password: str) -> User:
    user, _created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "kind": User.Kind.AGENT,
            "email": f"{username}@demo.civis.invalid",
        },
    )
    if password and not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    authority = Authority.objects.get(**lookup)
    if not Membership.objects.active().filter(user=user, authority=authority).exists():
        membership_grant(actor=None, user=user, authority=authority, role=Membership.Role.AGENT)
    return user


def _procedure(spec: DemoProcedure) -> tuple[Procedure, bool]:
    existing = Procedure.objects.filter(slug=spec.slug).first()
    if existing is not None:
        return existing, False
    publisher = User.objects.get(username=spec.publisher)
    procedure = procedure_create(
        actor=publisher,
        owner=Authority.objects.get(**spec.owner),
        title=spec.title,
        slug=spec.slug,
        **spec.attrs,
    )
    revision_save_fields(actor=publisher, procedure=procedure, fields=spec.fields)
    revision_publish(actor=publisher, procedure=procedure)
    instructors_set(
        actor=publisher, procedure=procedure, users=[User.objects.get(username=spec.instructor)]
    )
    procedure.refresh_from_db()
    return procedure, True


def _request(procedure: Procedure, citizen: User, data: dict[str, Any]) -> Request:
    request = request_start(actor=citizen, procedure=procedure)
    errors = request_save(actor=citizen, request=request, data=data)
    if errors:  # pragma: no cover - the demo's answers are valid
        raise ValueError(f"{procedure.slug}: {errors}")
    request.refresh_from_db()
    return request


def _submitted(procedure: Procedure, citizen: User, data: dict[str, Any]) -> Request:
    return request_submit(actor=citizen, request=_request(procedure, citizen, data))


def _birth_requests(procedure: Procedure, citizen: User, instructor: User) -> int:
    answers = {
        "nom": "Martin",
        "prenoms": "Camille Louise",
        "date_naissance": "1990-04-17",
        "commune_naissance": "Mérignac",
        "nom_pere": "Martin Paul",
        "nom_mere": "Lefort Anne",
        "type_acte": "Copie intégrale",
        "nombre": "2",
        "motif": "Constitution du dossier de mariage.",
        "adresse_envoi": ADDRESS,
    }
    accepted = _submitted(procedure, citizen, answers)
    request_open(actor=instructor, request=accepted)
    message_send(
        actor=instructor,
        request=accepted,
        body=(
            "Bonjour, votre acte est prêt. Nous vous envoyons les deux copies intégrales "
            "par courrier dès aujourd'hui."
        ),
    )
    message_send(actor=citizen, request=accepted, body="Merci beaucoup pour votre rapidité !")
    request_decide(
        actor=instructor,
        request=accepted,
        outcome="accepte",
        motivation="Acte établi d'après le registre des naissances de 1990.",
    )
    # A draft, started for a sibling and left unfinished.
    _request(
        procedure,
        citizen,
        {"nom": "Martin", "prenoms": "Lucas", "type_acte": "Extrait avec filiation"},
    )
    return 2


def _school_requests(procedure: Procedure, citizen: User, instructor: User) -> int:
    answers = {
        "nom_enfant": "Martin",
        "prenom_enfant": "Léa",
        "naissance_enfant": "2023-03-08",
        "niveau": "Petite section",
        "ecole_souhaitee": "École Jules-Ferry",
        "nom_responsable": "Camille Martin",
        "telephone": "06 12 34 56 78",
        "courriel": "citoyen@demo.civis.invalid",
        "adresse": ADDRESS,
        "commune": "33281",
        "periscolaire": "oui",
        "jours_accueil": ["Lundi", "Mardi", "Jeudi", "Vendredi"],
        "fratrie": [{"prenom_frere": "Lucas", "ecole_frere": "École Jules-Ferry"}],
        "remarques": "Allergie aux arachides (PAI en cours).",
    }
    request = _request(procedure, citizen, answers)
    attachment_add(
        actor=citizen,
        request=request,
        field_key="justificatif_domicile",
        upload=_pdf(
            "Facture d'électricité",
            ["Camille Martin", "12 rue des Lilas, 33700 Mérignac", "Période : octobre 2026"],
        ),
    )
    attachment_add(
        actor=citizen,
        request=request,
        field_key="livret_famille",
        upload=_pdf("Livret de famille", ["Famille Martin", "Pages parents et enfants"]),
    )
    request = request_submit(actor=citizen, request=request)
    message_send(
        actor=citizen,
        request=request,
        body="Bonjour, la cantine est-elle possible dès la rentrée pour ma fille ?",
    )
    request_open(actor=instructor, request=request)
    message_send(
        actor=instructor,
        request=request,
        body=(
            "Bonjour, oui : l'inscription à la restauration scolaire se fait avec ce dossier. "
            "Nous revenons vers vous après la commission d'affectation."
        ),
    )
    # A second request for the same child, filed by mistake: classée sans suite.
    duplicate = _request(procedure, citizen, {**answers, "periscolaire": "non"})
    attachment_add(
        actor=citizen,
        request=duplicate,
        field_key="justificatif_domicile",
        upload=_pdf("Quittance de loyer", ["Camille Martin", "12 rue des Lilas, 33700 Mérignac"]),
    )
    duplicate = request_submit(actor=citizen, request=duplicate)
    request_open(actor=instructor, request=duplicate)
    request_decide(
        actor=instructor,
        request=duplicate,
        outcome="sans_suite",
        motivation="Demande en double : l'inscription de Léa est instruite dans un autre dossier.",
    )
    return 2


def _grant_requests(procedure: Procedure, citizen: User, instructor: User) -> int:
    answers = {
        "nom_association": "Les Jardins partagés de Capeyron",
        "siret": "44306184100047",
        "siege": "3 allée des Tilleuls\n33700 Mérignac",
        "commune_siege": "33281",
        "representant": "Camille Martin, présidente",
        "courriel_asso": "jardins-capeyron@demo.civis.invalid",
        "intitule": "Un jardin pédagogique pour les écoles du quartier",
        "description_projet": (
            "Aménager quatre parcelles et accueillir les classes de Capeyron chaque semaine, "
            "d'avril à octobre, avec un animateur."
        ),
        "montant": "3500,00",
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "engagement": "oui",
    }

    def with_budget(data: dict[str, Any], lines: list[str]) -> Request:
        request = _request(procedure, citizen, data)
        attachment_add(
            actor=citizen,
            request=request,
            field_key="budget",
            upload=_pdf("Budget prévisionnel", lines),
        )
        return request_submit(actor=citizen, request=request)

    with_budget(answers, ["Semences et outils : 1 200 €", "Animation : 2 300 €", "Total : 3 500 €"])
    refused = with_budget(
        {
            **answers,
            "intitule": "Voyage des adhérents à Lisbonne",
            "description_projet": "Un séjour de quatre jours pour les vingt adhérents.",
            "montant": "8000",
        },
        ["Transport : 5 000 €", "Hébergement : 3 000 €", "Total : 8 000 €"],
    )
    request_open(actor=instructor, request=refused)
    request_ask_correction(
        actor=instructor,
        request=refused,
        message="Précisez l'intérêt du projet pour le territoire métropolitain.",
    )
    request_save(
        actor=citizen,
        request=refused,
        data={
            **refused.data,
            "description_projet": (
                "Un séjour de quatre jours pour les vingt adhérents, pour visiter les jardins "
                "partagés de Lisbonne et en rapporter des pratiques."
            ),
        },
    )
    request_open(actor=instructor, request=refused)
    request_decide(
        actor=instructor,
        request=refused,
        outcome="refuse",
        motivation=(
            "Le règlement des aides de la Métropole exclut les voyages et séjours des "
            "adhérents (article 4)."
        ),
    )
    return 2


LOADERS = {
    "acte-de-naissance-merignac": _birth_requests,
    "inscription-scolaire-merignac": _school_requests,
    "subvention-associative-metropole": _grant_requests,
}


def load_procedures(stdout: OutputWrapper | None = None, *, password: str = "") -> int:
    """The demo procedures, their instructors and ``citoyen``'s requests (once). Returns how
    many procedures were created (0 on a second run)."""
    for username, first, last, lookup in INSTRUCTORS:
        _account(username, first, last, lookup, password)
    citizen = User.objects.get(username=CITIZEN)
    created = requests = 0
    for spec in PROCEDURES:
        procedure, new = _procedure(spec)
        if not new:
            continue
        created += 1
        instructor = User.objects.get(username=spec.instructor)
        requests += LOADERS[spec.slug](procedure, citizen, instructor)
    if stdout is not None:
        stdout.write(
            f"Démarches : {created} démarche(s) et {requests} dossier(s) créé(s)"
            + (" (déjà chargées)." if not created else ".")
        )
    return created
