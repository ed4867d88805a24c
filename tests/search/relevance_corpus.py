"""A fixed French corpus and the queries that must find each document in the top 3.

Twenty-five documents written to be found, among thirty generic deliberations (seeded prose
from civis.portal.demo.filegen) that mention the same subjects in their body: the right document
must win on its title and wording, not on being alone.
"""

from __future__ import annotations

import datetime
import random

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
}

# (query, filters, keys that must all be in the top 3)
QUERIES: list[tuple[str, dict[str, str], list[str]]] = [
    ("écoles", {}, ["merignac_ecoles"]),
    ("ecole", {}, ["merignac_ecoles"]),
    ("ÉCOLES ÉLÉMENTAIRES", {}, ["merignac_ecoles"]),
    ("renovation ecoles", {}, ["merignac_ecoles"]),
    ("budget primitif", {}, ["merignac_budget", "pessac_budget"]),
    ("budgets primitifs", {}, ["merignac_budget", "pessac_budget"]),
    ("budget primitif Pessac", {}, ["pessac_budget"]),
    ("plan local d'urbanisme", {}, ["merignac_plu", "metropole_plui"]),
    ("urbanisme", {}, ["merignac_plu", "metropole_plui"]),
    ("l'urbanisme intercommunal", {}, ["metropole_plui"]),
    ('"plan local d\'urbanisme intercommunal"', {}, ["metropole_plui"]),
    ("PLUi enquête publique", {}, ["metropole_plui"]),
    ("compte rendu conseil municipal", {}, ["merignac_cr"]),
    ("comptes rendus", {}, ["merignac_cr"]),
    ("arrêté stationnement", {}, ["merignac_stationnement"]),
    ("arrete stationnement", {}, ["merignac_stationnement"]),
    ("piscine", {}, ["pessac_piscine"]),
    ("piscines municipales", {}, ["pessac_piscine"]),
    ("horaires d'été piscine", {}, ["pessac_piscine"]),
    ("cantine", {}, ["pessac_cantine"]),
    ("restauration scolaire tarifs", {}, ["pessac_cantine"]),
    ("biodéchets", {}, ["metropole_dechets"]),
    ("collecte des biodechets", {}, ["metropole_dechets"]),
    ("tramway", {}, ["metropole_tram"]),
    ("lignes de tramway", {}, ["metropole_tram"]),
    ("lycées rénovation énergétique", {}, ["region_lycees"]),
    ("lycee", {}, ["region_lycees"]),
    ("formation professionnelle", {}, ["region_formation"]),
    ("plantation d'arbres", {}, ["talence_arbres"]),
    ("arbre", {}, ["talence_arbres"]),
    ("subventions associations sportives", {}, ["talence_associations"]),
    ("subvention association", {}, ["talence_associations"]),
    ("acte de naissance", {}, ["merignac_naissance"]),
    ("formulaire naissance", {}, ["merignac_naissance"]),
    ("bureaux de vote", {}, ["merignac_vote"]),
    ("bureau de vote", {}, ["merignac_vote"]),
    ("travaux voirie", {}, ["pessac_voirie"]),
    ("qualité de l'eau", {}, ["metropole_eau"]),
    ("prix de l'eau rapport annuel", {}, ["metropole_eau"]),
    ("plan climat", {}, ["region_climat"]),
    ('"plan climat-air-énergie"', {}, ["region_climat"]),
    ("bibliothèques", {}, ["talence_bibliotheques"]),
    ("bibliotheque horaires", {}, ["talence_bibliotheques"]),
    ("crèche", {}, ["merignac_creches"]),
    ("règlement des crèches", {}, ["merignac_creches"]),
    ("procès-verbal séance", {}, ["pessac_pv"]),
    ("proces verbal", {}, ["pessac_pv"]),
    ("marché public nettoyage", {}, ["merignac_nettoyage"]),
    ("aménagements cyclables", {}, ["metropole_velo"]),
    ("amenagement cyclable", {}, ["metropole_velo"]),
    ("budget primitif", {"authority": "pessac"}, ["pessac_budget"]),
    ("conseil municipal", {"authority": "merignac", "type": "compte_rendu"}, ["merignac_cr"]),
    ("urbanisme", {"authority": "metropole"}, ["metropole_plui", "merignac_plu"]),
    ("rénovation", {"authority": "region"}, ["region_lycees", "merignac_ecoles"]),
    ("subventions", {"authority": "talence", "type": "deliberation"}, ["talence_associations"]),
]


def build_corpus() -> tuple[dict[str, Authority], dict[str, int]]:
    region = make_authority(Authority.Kind.REGION, name="Nouvelle-Aquitaine")
    metropole = make_authority(Authority.Kind.EPCI, name="Bordeaux Métropole", parent=region)
    authorities = {
        "region": region,
        "metropole": metropole,
        "merignac": make_authority(name="Mérignac", parent=metropole),
        "pessac": make_authority(name="Pessac", parent=metropole),
        "talence": make_authority(name="Talence", parent=metropole),
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
