"""A fixed French corpus and the relevance cases every search backend must pass.

Forty-odd documents written to be found, among thirty generic deliberations (seeded prose
from civis.portal.demo.filegen) that mention the same subjects in their body: the right document
must win on its title and wording, not on being alone.

Each ``Case`` is a query (text, filters) and what must hold: ``must`` keys in the top ``top``
results (3 by default), ``must_not`` keys nowhere in the results, and ``expect`` for the
special behaviours (space-separated):

* ``no_words``: reason "no_searchable_words" and no result (never everything);
* ``empty``: no result, and no partial answer;
* ``partial`` / ``partial:<word>``: a partial answer (``page.partial``), ``<word>`` listed missing;
* ``suggest:<word>``: ``<word>`` in one of the suggestions ("Vouliez-vous dire …");
* ``place_first:<authority key>``: that authority first in ``search_places``.

``evaluate`` runs cases and is shared by tests/search/test_relevance.py and bench/relevance.py.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from civis.portal.demo.filegen import _TOPICS, french_paragraphs
from identity.models import Authority
from tests.factories import make_authority
from tests.search.factories import make_document

# key: (authority, type, title, text)
TARGETS = {
    "merignac_ecoles": (
        "merignac",
        "deliberation",
        "Rénovation des écoles élémentaires",
        "Le conseil approuve la rénovation des cours d'école et des préaux.",
    ),
    "merignac_budget": (
        "merignac",
        "budget",
        "Budget primitif 2025",
        "Le budget primitif de l'exercice 2025 présente les investissements.",
    ),
    "merignac_plu": (
        "merignac",
        "deliberation",
        "Modification du plan local d'urbanisme",
        "La modification porte sur les hauteurs autorisées en centre-ville.",
    ),
    "merignac_cr": (
        "merignac",
        "compte_rendu",
        "Compte rendu du conseil municipal du 12 mars",
        "Étaient présents les conseillers municipaux ; l'ordre du jour est adopté.",
    ),
    "merignac_stationnement": (
        "merignac",
        "arrete",
        "Arrêté réglementant le stationnement rue de la Paix",
        "Le stationnement est interdit les jours de marché.",
    ),
    "pessac_piscine": (
        "pessac",
        "autre",
        "Horaires d'été de la piscine municipale",
        "La piscine ouvre tous les jours en juillet et en août.",
    ),
    "pessac_budget": (
        "pessac",
        "budget",
        "Budget primitif 2025 de Pessac",
        "Les grands équilibres du budget primitif sont présentés.",
    ),
    "pessac_cantine": (
        "pessac",
        "deliberation",
        "Tarifs de la restauration scolaire",
        "Les tarifs de la cantine dépendent du quotient familial.",
    ),
    "metropole_dechets": (
        "metropole",
        "rapport",
        "Collecte des biodéchets : nouveau calendrier",
        "Les biodéchets sont collectés chaque semaine.",
    ),
    "metropole_plui": (
        "metropole",
        "rapport",
        "Plan local d'urbanisme intercommunal (PLUi) : enquête publique",
        "L'enquête publique sur le plan local d'urbanisme intercommunal s'ouvre.",
    ),
    "metropole_tram": (
        "metropole",
        "rapport",
        "Extension de la ligne de tramway",
        "La ligne D du tramway est prolongée vers le nord.",
    ),
    "region_lycees": (
        "region",
        "rapport",
        "Rénovation énergétique des lycées",
        "La région finance l'isolation des lycées publics.",
    ),
    "region_formation": (
        "region",
        "rapport",
        "Aides régionales à la formation professionnelle",
        "Les demandeurs d'emploi bénéficient de formations qualifiantes.",
    ),
    "talence_arbres": (
        "talence",
        "deliberation",
        "Plantation d'arbres dans les quartiers",
        "Deux cents arbres seront plantés cet hiver.",
    ),
    "talence_associations": (
        "talence",
        "deliberation",
        "Subventions aux associations sportives",
        "Le conseil attribue les subventions aux clubs de la ville.",
    ),
    "merignac_naissance": (
        "merignac",
        "formulaire",
        "Demande d'acte de naissance",
        "Formulaire de demande de copie intégrale d'acte de naissance.",
    ),
    "merignac_vote": (
        "merignac",
        "arrete",
        "Liste des bureaux de vote",
        "Les électeurs votent dans le bureau de vote de leur secteur.",
    ),
    "pessac_voirie": (
        "pessac",
        "arrete",
        "Travaux de voirie avenue Jean-Jaurès",
        "La circulation est alternée pendant les travaux de voirie.",
    ),
    "metropole_eau": (
        "metropole",
        "rapport",
        "Rapport annuel sur le prix et la qualité du service public de l'eau",
        "La qualité de l'eau distribuée est conforme.",
    ),
    "region_climat": (
        "region",
        "rapport",
        "Plan climat-air-énergie territorial",
        "Le plan climat-air-énergie fixe des objectifs de sobriété.",
    ),
    "talence_bibliotheques": (
        "talence",
        "autre",
        "Horaires des bibliothèques municipales",
        "Les bibliothèques ouvrent le dimanche en hiver.",
    ),
    "merignac_creches": (
        "merignac",
        "autre",
        "Règlement de fonctionnement des crèches",
        "Les crèches accueillent les enfants de dix semaines à trois ans.",
    ),
    "pessac_pv": (
        "pessac",
        "proces_verbal",
        "Procès-verbal de la séance du 3 février",
        "Le procès-verbal de la séance est approuvé.",
    ),
    "merignac_nettoyage": (
        "merignac",
        "arrete",
        "Marché public de nettoyage des locaux",
        "Le marché public de nettoyage des locaux municipaux est attribué.",
    ),
    "metropole_velo": (
        "metropole",
        "rapport",
        "Schéma directeur des aménagements cyclables",
        "De nouveaux aménagements cyclables relient les communes.",
    ),
    # Forms (issue 17): feminine agent nouns, "-ail"/"-aux", acronyms, "St", "n°".
    "merignac_listes": (
        "merignac",
        "deliberation",
        "Révision des listes électorales",
        "Chaque électeur peut vérifier son inscription avant le scrutin.",
    ),
    "talence_directeur": (
        "talence",
        "arrete",
        "Nomination du directeur général des services",
        "Le directeur général des services est nommé à compter du 1er mai.",
    ),
    "talence_travail": (
        "talence",
        "deliberation",
        "Conditions de travail des agents municipaux",
        "Le télétravail est ouvert deux jours par semaine.",
    ),
    "pessac_plu": (
        "pessac",
        "deliberation",
        "Révision du P.L.U. de Pessac",
        "La révision du P.L.U. est prescrite par le conseil.",
    ),
    "stmedard_marche": (
        "stmedard",
        "autre",
        "Marché de plein air de Saint-Médard-en-Jalles",
        "Le marché se tient chaque samedi matin place de la République.",
    ),
    "metropole_stmedard": (
        "metropole",
        "rapport",
        "Desserte en bus de St-Médard-en-Jalles",
        "Une nouvelle ligne de bus dessert St-Médard-en-Jalles.",
    ),
    "merignac_arrete12": (
        "merignac",
        "arrete",
        "Arrêté n° 12 portant fermeture de la rue Carnot",
        "Par arrêté n° 12, la rue Carnot est fermée à la circulation.",
    ),
    "pessac_arrete120": (
        "pessac",
        "arrete",
        "Arrêté n° 120 relatif aux terrasses",
        "L'arrêté n° 120 fixe l'emprise des terrasses.",
    ),
    "talence_douze": (
        "talence",
        "autre",
        "Programme des 12 heures du sport",
        "Douze heures de sport le 12 juin.",
    ),
    # Phrases do not cross field boundaries: this title ends with "conseil municipal" and its
    # authority (meta) is Bordeaux.
    "bordeaux_cm": (
        "bordeaux",
        "compte_rendu",
        "Ordre du jour du conseil municipal",
        "Séance ordinaire : vote des tarifs.",
    ),
    "metropole_avis": (
        "metropole",
        "rapport",
        "Avis sur le projet de pont",
        "Le conseil municipal de Bordeaux a rendu un avis favorable.",
    ),
    # Scope as a preference: the same document at two levels.
    "metropole_proprete": (
        "metropole",
        "rapport",
        "Rapport sur la propreté urbaine",
        "Bilan annuel de la propreté des espaces publics.",
    ),
    "merignac_proprete": (
        "merignac",
        "rapport",
        "Rapport sur la propreté urbaine",
        "Bilan annuel de la propreté des espaces publics.",
    ),
    # Found through synonyms only (SYNONYM_QUERIES).
    "talence_cantine": (
        "talence",
        "autre",
        "Menus de la cantine du mois",
        "Les menus de la cantine sont affichés à l'entrée.",
    ),
    "merignac_mairie": (
        "merignac",
        "autre",
        "Horaires d'ouverture de la mairie",
        "La mairie est ouverte du lundi au samedi.",
    ),
    "pessac_hdv": (
        "pessac",
        "autre",
        "Ravalement de la façade de l'hôtel de ville",
        "La façade de l'hôtel de ville est ravalée.",
    ),
}


@dataclass(frozen=True)
class Case:
    text: str
    must: Sequence[str] = ()
    must_not: Sequence[str] = ()
    # "type": a document type; "authority": an authority key; "authority_code": INSEE or SIREN
    filters: dict[str, str] = field(default_factory=dict)
    expect: str = ""
    top: int = 3


NO_WORDS = "no_words"
BUDGETS = ["merignac_budget", "pessac_budget"]
PLANS = ["merignac_plu", "metropole_plui"]
VOTERS = ["merignac_listes", "merignac_vote"]
MEDARD = ["stmedard_marche", "metropole_stmedard"]
NOT_12 = ["merignac_cr", "talence_douze", "pessac_arrete120"]

QUERIES: list[Case] = [
    # Accents, case, plurals, elisions, phrases, hyphens (the first set).
    Case("écoles", ["merignac_ecoles"]),
    Case("ecole", ["merignac_ecoles"]),
    Case("ÉCOLES ÉLÉMENTAIRES", ["merignac_ecoles"]),
    Case("renovation ecoles", ["merignac_ecoles"]),
    Case("budget primitif", BUDGETS),
    Case("budgets primitifs", BUDGETS),
    Case("budget primitif Pessac", ["pessac_budget"]),
    Case("plan local d'urbanisme", PLANS),
    Case("urbanisme", PLANS),
    Case("l'urbanisme intercommunal", ["metropole_plui"]),
    Case('"plan local d\'urbanisme intercommunal"', ["metropole_plui"], ["merignac_plu"]),
    Case("PLUi enquête publique", ["metropole_plui"]),
    Case("compte rendu conseil municipal", ["merignac_cr"]),
    Case("comptes rendus", ["merignac_cr"]),
    Case("arrêté stationnement", ["merignac_stationnement"]),
    Case("arrete stationnement", ["merignac_stationnement"]),
    Case("piscine", ["pessac_piscine"]),
    Case("piscines municipales", ["pessac_piscine"]),
    Case("horaires d'été piscine", ["pessac_piscine"]),
    Case("cantine", ["pessac_cantine"]),
    Case("restauration scolaire tarifs", ["pessac_cantine"]),
    Case("biodéchets", ["metropole_dechets"]),
    Case("collecte des biodechets", ["metropole_dechets"]),
    Case("tramway", ["metropole_tram"]),
    Case("lignes de tramway", ["metropole_tram"]),
    Case("lycées rénovation énergétique", ["region_lycees"]),
    Case("lycee", ["region_lycees"]),
    Case("formation professionnelle", ["region_formation"]),
    Case("plantation d'arbres", ["talence_arbres"]),
    Case("arbre", ["talence_arbres"]),
    Case("subventions associations sportives", ["talence_associations"]),
    Case("subvention association", ["talence_associations"]),
    Case("acte de naissance", ["merignac_naissance"]),
    Case("formulaire naissance", ["merignac_naissance"]),
    Case("bureaux de vote", ["merignac_vote"]),
    Case("bureau de vote", ["merignac_vote"]),
    Case("travaux voirie", ["pessac_voirie"]),
    Case("qualité de l'eau", ["metropole_eau"]),
    Case("prix de l'eau rapport annuel", ["metropole_eau"]),
    Case("plan climat", ["region_climat"]),
    Case('"plan climat-air-énergie"', ["region_climat"]),
    Case("bibliothèques", ["talence_bibliotheques"]),
    Case("bibliotheque horaires", ["talence_bibliotheques"]),
    Case("crèche", ["merignac_creches"]),
    Case("règlement des crèches", ["merignac_creches"]),
    Case("procès-verbal séance", ["pessac_pv"]),
    Case("proces verbal", ["pessac_pv"]),
    Case("marché public nettoyage", ["merignac_nettoyage"]),
    Case("aménagements cyclables", ["metropole_velo"]),
    Case("amenagement cyclable", ["metropole_velo"]),
    Case("BIODÉCHETS", ["metropole_dechets"]),
    Case("biodechet", ["metropole_dechets"]),
    Case("l'eau", ["metropole_eau"]),
    Case("d'urbanisme", PLANS),
    Case("l\u2019urbanisme", PLANS),
    Case("crèches", ["merignac_creches"]),
    Case("CRECHES", ["merignac_creches"]),
    Case("naissances", ["merignac_naissance"]),
    Case("actes de naissance", ["merignac_naissance"]),
    Case("climat-air-énergie", ["region_climat"]),
    Case("climat air energie", ["region_climat"]),
    Case("Jean-Jaurès", ["pessac_voirie"]),
    Case("jean jaures", ["pessac_voirie"]),
    Case("procès-verbaux", ["pessac_pv"]),
    Case("lycées publics", ["region_lycees"]),
    Case("rue de la Paix", ["merignac_stationnement"]),
    Case('"rue de la Paix"', ["merignac_stationnement"]),
    Case('"budget primitif 2025"', BUDGETS),
    Case('"primitif budget"', must_not=BUDGETS),
    Case("quotient familial", ["pessac_cantine"]),
    Case("demandeurs d'emploi", ["region_formation"]),
    Case("arbres quartiers", ["talence_arbres"]),
    Case("enquête publique", ["metropole_plui"]),
    Case("ligne D tramway", ["metropole_tram"]),
    Case("service public de l'eau", ["metropole_eau"]),
    Case("nettoyage des locaux", ["merignac_nettoyage"]),
    Case("horaires piscine été", ["pessac_piscine"]),
    Case("Horaires d'été", ["pessac_piscine"]),
    Case("marché public", ["merignac_nettoyage"]),
    Case("schéma directeur cyclable", ["metropole_velo"]),
    Case("liste électorale", ["merignac_listes"]),
    Case("électeurs bureau de vote", ["merignac_vote"], top=1),
    # Type and authority filters (an authority includes every authority below it).
    Case("budget primitif", ["pessac_budget"], ["merignac_budget"], {"authority": "pessac"}),
    Case(
        "conseil municipal",
        ["merignac_cr"],
        ["bordeaux_cm"],
        {"authority": "merignac", "type": "compte_rendu"},
    ),
    Case("urbanisme", PLANS, filters={"authority": "metropole"}),
    Case("rénovation", ["region_lycees", "merignac_ecoles"], filters={"authority": "region"}),
    Case(
        "subventions",
        ["talence_associations"],
        filters={"authority": "talence", "type": "deliberation"},
    ),
    Case("subventions", ["talence_associations"], filters={"type": "deliberation"}),
    Case("budget", BUDGETS, ["merignac_plu", "pessac_cantine"], {"type": "budget"}),
    Case("stationnement", ["merignac_stationnement"], filters={"type": "arrete"}),
    Case("stationnement", must_not=["merignac_stationnement"], filters={"type": "deliberation"}),
    Case("piscine", ["pessac_piscine"], filters={"type": "autre"}),
    Case("piscine", must_not=["pessac_piscine"], filters={"type": "rapport"}),
    Case("tramway", ["metropole_tram"], filters={"authority": "region"}),
    Case("tramway", must_not=["metropole_tram"], filters={"authority": "merignac"}),
    Case("écoles", must_not=["merignac_ecoles"], filters={"authority": "pessac"}),
    Case("plan climat", must_not=["region_climat"], filters={"authority": "metropole"}),
    Case("formation professionnelle", ["region_formation"], filters={"authority": "region"}),
    Case("compte rendu", ["merignac_cr", "bordeaux_cm"], filters={"type": "compte_rendu"}),
    Case("budget primitif", ["pessac_budget"], ["merignac_budget"], {"authority_code": "33318"}),
    Case("piscine", ["pessac_piscine"], filters={"authority_code": "33318"}),
    Case("tramway", ["metropole_tram"], filters={"authority_code": "243300316"}),
    # Scope is a preference too: the authority's own documents before its members'.
    # (among equals only: the same title and text at two levels)
    Case(
        "propreté urbaine", ["metropole_proprete"], filters={"authority_code": "243300316"}, top=1
    ),
    Case(
        "propreté urbaine",
        ["metropole_proprete", "merignac_proprete"],
        filters={"authority": "region"},
        top=2,
    ),
    Case("propreté urbaine", ["metropole_proprete"], filters={"authority": "metropole"}, top=1),
    Case(
        "propreté urbaine",
        ["merignac_proprete"],
        ["metropole_proprete"],
        {"authority": "merignac"},
        top=1,
    ),
    Case("propreté urbaine", ["metropole_proprete", "merignac_proprete"], top=2),
    # Stop words, punctuation, elisions only: nothing, and said so (never everything).
    Case("le la les", expect=NO_WORDS),
    Case("de", expect=NO_WORDS),
    Case("été", expect=NO_WORDS),
    Case("Est", expect=NO_WORDS),
    Case("?!;:", expect=NO_WORDS),
    Case("qu'il", expect=NO_WORDS),
    Case("l'", expect=NO_WORDS),
    Case("d'un", expect=NO_WORDS),
    Case("LES", expect=NO_WORDS),
    Case("et ou", expect=NO_WORDS),
    Case('"de la"', expect=NO_WORDS),
    Case("« le »", expect=NO_WORDS),
    Case("le la les", filters={"authority": "merignac"}, expect=NO_WORDS),
    # One unknown word: a partial answer, the documents with most words first.
    Case("horaires bureaux de vote Brest", ["merignac_vote"], expect="partial:Brest"),
    Case("piscine Brest", ["pessac_piscine"], expect="partial:Brest"),
    Case("tramway Lyon", ["metropole_tram"], expect="partial:Lyon"),
    Case("budget primitif Arcachon", BUDGETS, expect="partial:Arcachon"),
    Case("Brest", expect="empty"),
    # Spelling: "Vouliez-vous dire …".
    Case("deliberaton", expect="suggest:délibération"),
    Case("tramwey", expect="suggest:tramway"),
    Case("piscne", expect="suggest:piscine"),
    Case("stationnemnt", expect="suggest:stationnement"),
    Case("urbanisne", expect="suggest:urbanisme"),
    # Forms: feminine agent nouns, "-ail"/"-aux", acronyms, "St", "n°".
    Case("électrice", VOTERS),
    Case("électrices", VOTERS),
    Case("ELECTRICES", VOTERS),
    Case("inscription électeur", ["merignac_listes"]),
    Case("directrice générale des services", ["talence_directeur"]),
    Case("directrices", ["talence_directeur"]),
    Case("nomination directeur", ["talence_directeur"]),
    Case("travail", ["talence_travail", "pessac_voirie"]),
    Case("travaux", ["pessac_voirie", "talence_travail"]),
    Case("travaux agents municipaux", ["talence_travail"], top=1),
    Case("télétravail", ["talence_travail"]),
    Case("PLU", ["metropole_plui", "pessac_plu"]),
    Case("P.L.U.", ["pessac_plu", "metropole_plui"]),
    Case("p.l.u.", ["pessac_plu"]),
    Case("PLUi", ["metropole_plui"], ["pessac_plu"]),
    Case("PLU Pessac", ["pessac_plu"], top=1),
    Case("St-Médard-en-Jalles", MEDARD),
    Case("Saint-Médard-en-Jalles", MEDARD),
    Case("saint medard en jalles", MEDARD),
    Case("St Médard", MEDARD),
    Case("marché Saint-Médard", ["stmedard_marche"], top=1),
    Case("bus St-Médard-en-Jalles", ["metropole_stmedard"], top=1),
    Case("n° 12", ["merignac_arrete12"], NOT_12),
    Case("n°12", ["merignac_arrete12"], NOT_12),
    Case("No 12", ["merignac_arrete12"], NOT_12),
    Case("arrêté n° 120", ["pessac_arrete120"], ["merignac_arrete12"]),
    Case("12 mars", ["merignac_cr"], ["merignac_arrete12"]),
    Case("rue Carnot", ["merignac_arrete12"]),
    Case("fermeture rue Carnot arrêté", ["merignac_arrete12"], top=1),
    Case("terrasses", ["pessac_arrete120"]),
    # Phrases do not cross field boundaries (title, meta, body).
    Case('"conseil municipal de Bordeaux"', ["metropole_avis"], ["bordeaux_cm"]),
    Case('"municipal de Bordeaux"', ["metropole_avis"], ["bordeaux_cm"]),
    Case('"conseil municipal" Bordeaux', ["bordeaux_cm", "metropole_avis"]),
    Case('"conseil municipal"', ["merignac_cr", "bordeaux_cm"], filters={"type": "compte_rendu"}),
    # Places: authorities by name, INSEE code or SIREN, first.
    Case("Mérignac", expect="place_first:merignac"),
    Case("merignac", expect="place_first:merignac"),
    Case("MERIGNAC", expect="place_first:merignac"),
    Case("33281", expect="place_first:merignac"),
    Case("243300316", expect="place_first:metropole"),
    Case("33318", expect="place_first:pessac"),
    Case("Pessac", expect="place_first:pessac"),
    Case("Talence", expect="place_first:talence"),
    Case("Bordeaux Métropole", expect="place_first:metropole"),
    Case("bordeaux metropole", expect="place_first:metropole"),
    Case("Bordeaux", expect="place_first:bordeaux"),
    Case("St-Médard-en-Jalles", expect="place_first:stmedard"),
    Case("Nouvelle-Aquitaine", expect="place_first:region"),
    Case("mairie de Mérignac", expect="place_first:merignac"),
]

# Run only once search.synonyms exists (being written): "cantine" is "restauration scolaire",
# "mairie" is "hôtel de ville".
SYNONYM_QUERIES: list[Case] = [
    Case("restauration scolaire", ["pessac_cantine", "talence_cantine"]),
    Case("cantine", ["pessac_cantine", "talence_cantine"]),
    Case("menus restauration scolaire", ["talence_cantine"], top=1),
    Case("hôtel de ville", ["pessac_hdv", "merignac_mairie"]),
    Case("mairie", ["merignac_mairie", "pessac_hdv"]),
    Case("horaires hôtel de ville", ["merignac_mairie"], top=1),
    Case("ravalement mairie", ["pessac_hdv"], top=1),
]

# Cases failing because of a search defect, printed and not counted (see the item 9).
KNOWN_FAILURES: list[Case] = []


def build_corpus() -> tuple[dict[str, Authority], dict[str, int]]:
    region = make_authority(Authority.Kind.REGION, name="Nouvelle-Aquitaine", insee_code="75")
    metropole = make_authority(
        Authority.Kind.EPCI, name="Bordeaux Métropole", parent=region, siren="243300316"
    )
    authorities = {
        "region": region,
        "metropole": metropole,
        "merignac": make_authority(name="Mérignac", parent=metropole, insee_code="33281"),
        "pessac": make_authority(name="Pessac", parent=metropole, insee_code="33318"),
        "talence": make_authority(name="Talence", parent=metropole, insee_code="33522"),
        "bordeaux": make_authority(name="Bordeaux", parent=metropole, insee_code="33063"),
        "stmedard": make_authority(
            name="Saint-Médard-en-Jalles", parent=metropole, insee_code="33449"
        ),
    }
    ids = {}
    for key, (authority, doc_type, title, text) in TARGETS.items():
        ids[key] = make_document(
            authorities[authority], title, text=text, document_type=doc_type
        ).pk
    rng = random.Random(2026)
    communes = ["merignac", "pessac", "talence"]
    for n in range(30):
        topic = list(_TOPICS)[n % len(_TOPICS)]
        make_document(
            authorities[communes[n % 3]],
            f"Délibération n° 2025-{n:03d}",
            text="\n".join(french_paragraphs(rng, 3, topic)),
            document_type="deliberation",
            published_on=datetime.date(2025, 1 + n % 12, 1 + n % 28),
        )
    return authorities, ids


@dataclass
class Outcome:
    case: Case
    passed: bool
    problems: list[str]
    violations: list[str]  # must_not keys found in the results
    top: list[str]  # the first results, by key (distractors by title)
    backend: str


def _authority_id(case: Case, authorities: dict[str, Authority]) -> int | None:
    from search.query import resolve_authority_code

    if "authority" in case.filters:
        return authorities[case.filters["authority"]].pk
    if "authority_code" in case.filters:
        return resolve_authority_code(case.filters["authority_code"], "authority_code")
    return None


def run_case(case: Case, authorities: dict[str, Authority], ids: dict[str, int]) -> Outcome:
    from search.places import search_places
    from search.query import MAX_PAGE_SIZE, SearchQuery
    from search.selectors import search_documents

    keys = {pk: key for key, pk in ids.items()}
    query = SearchQuery(
        text=case.text,
        page_size=MAX_PAGE_SIZE,  # the corpus is smaller: must_not looks at every result
        document_type=case.filters.get("type", ""),
        authority_id=_authority_id(case, authorities),
    )
    page = search_documents(None, query)
    found = [keys.get(hit.document.pk, f"~{hit.document.title}") for hit in page.hits]
    problems = [
        f"{key} absent des {case.top} premiers" for key in case.must if key not in found[: case.top]
    ]
    violations = [key for key in case.must_not if key in found]
    for expect in case.expect.split():
        name, _, arg = expect.partition(":")
        if name == "no_words":
            if page.reason != "no_searchable_words" or page.total or page.hits:
                problems.append(f"raison {page.reason!r}, {page.total} résultats")
        elif name == "empty":
            if page.total or page.partial:
                problems.append(f"{page.total} résultats (partielle : {page.partial})")
        elif name == "partial":
            if not page.partial:
                problems.append("réponse non partielle")
            elif arg and arg not in page.missing_words:
                problems.append(f"mots manquants {page.missing_words}")
        elif name == "suggest":
            # Case aside: a word is shown as documents mostly write it ("Délibération").
            if not any(arg.lower() in s.lower().split() for s in page.suggestions):
                problems.append(f"suggestions {page.suggestions}")
        elif name == "place_first":
            places = search_places(None, case.text)
            first = places[0] if places else None
            wanted = authorities[arg]
            if first is None or first.kind != "authority" or first.label != wanted.name:
                problems.append(f"lieux {[p.label for p in places]}")
        else:
            raise ValueError(f"unknown expectation {expect!r}")
    return Outcome(
        case=case,
        passed=not problems and not violations,
        problems=problems,
        violations=violations,
        top=found[:5],
        backend=page.backend,
    )


def evaluate(
    cases: Sequence[Case], authorities: dict[str, Authority], ids: dict[str, int]
) -> list[Outcome]:
    return [run_case(case, authorities, ids) for case in cases]


def describe(outcome: Outcome) -> str:
    case = outcome.case
    filters = f" {case.filters}" if case.filters else ""
    reasons = [*outcome.problems, *(f"must_not {key} trouvé" for key in outcome.violations)]
    return f"{case.text!r}{filters}: {'; '.join(reasons)} | premiers : {outcome.top}"


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Score and must-not violations of one run, as the test prints it and the bench stores."""
    passed = sum(o.passed for o in outcomes)
    total = len(outcomes)
    return {
        "passed": passed,
        "total": total,
        "score": passed / total if total else 0.0,
        "must_not_violations": sum(len(o.violations) for o in outcomes),
        "failures": [describe(o) for o in outcomes if not o.passed],
    }


def percent(value: float) -> str:
    """97,5 % (French decimal comma)."""
    return f"{100 * value:.1f}".replace(".", ",") + " %"
