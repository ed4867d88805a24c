"""Addresses as people and rolls write them, reduced to one comparable form.

``parse_address("12 bis AV. du Gal de Gaulle, Bât. B appt 12")`` gives number 12, repetition
``BIS`` and the street key ``AVENUE GENERAL GAULLE``: upper case, no accents, no punctuation,
the usual abbreviations of the Fantoir/BAN and of the rolls expanded (``av``/``ave`` →
``avenue``, ``bd``/``bld`` → ``boulevard``, ``st`` → ``saint``, ``gal`` → ``general`` …),
ordinals as digits (``1er``, ``premier`` → ``1``), and the articles and prepositions dropped
(``du``, ``de la``, ``l'``…), since rolls and the BAN disagree on them. What is not part of an
address — apartment, escalier, bâtiment, étage, porte, résidence after the street — is cut off.

The same function reads the reference files and the visitor's query, so both land on the same
key; the key is never shown, the street's label is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Street types and titles, as abbreviated on rolls, in the Fantoir and by the BAN.
ABBREVIATIONS: dict[str, str] = {
    "AV": "AVENUE",
    "AVE": "AVENUE",
    "AVN": "AVENUE",
    "AVNUE": "AVENUE",
    "BD": "BOULEVARD",
    "BLD": "BOULEVARD",
    "BLVD": "BOULEVARD",
    "BOUL": "BOULEVARD",
    "BV": "BOULEVARD",
    "R": "RUE",
    "AL": "ALLEE",
    "ALL": "ALLEE",
    "ALLEES": "ALLEE",
    "IMP": "IMPASSE",
    "PL": "PLACE",
    "CH": "CHEMIN",
    "CHE": "CHEMIN",
    "CHEM": "CHEMIN",
    "RTE": "ROUTE",
    "SQ": "SQUARE",
    "VLA": "VILLA",
    "PAS": "PASSAGE",
    "PASS": "PASSAGE",
    "QU": "QUAI",
    "QUA": "QUAI",
    "CRS": "COURS",
    "RPT": "ROND POINT",
    "RES": "RESIDENCE",
    "RSD": "RESIDENCE",
    "LOT": "LOTISSEMENT",
    "HAM": "HAMEAU",
    "FG": "FAUBOURG",
    "FBG": "FAUBOURG",
    "PROM": "PROMENADE",
    "PRT": "PORTE",
    "SENT": "SENTIER",
    "SEN": "SENTE",
    "CTRE": "CENTRE",
    "CC": "CENTRE COMMERCIAL",
    "ZA": "ZONE ACTIVITE",
    "ZI": "ZONE INDUSTRIELLE",
    "ZAC": "ZONE AMENAGEMENT CONCERTE",
    "PKG": "PARKING",
    "PT": "PETIT",
    "PTE": "PETITE",
    "GR": "GRAND",
    "GDE": "GRANDE",
    "ST": "SAINT",
    "STE": "SAINTE",
    "STS": "SAINTS",
    "N D": "NOTRE DAME",
    "GAL": "GENERAL",
    "GEN": "GENERAL",
    "GL": "GENERAL",
    "MAL": "MARECHAL",
    "MARL": "MARECHAL",
    "PDT": "PRESIDENT",
    "PRES": "PRESIDENT",
    "CL": "COLONEL",
    "COL": "COLONEL",
    "CNE": "CAPITAINE",
    "CAP": "CAPITAINE",
    "CDT": "COMMANDANT",
    "CMDT": "COMMANDANT",
    "LT": "LIEUTENANT",
    "LTN": "LIEUTENANT",
    "SGT": "SERGENT",
    "ADJ": "ADJUDANT",
    "AMI": "AMIRAL",
    "DR": "DOCTEUR",
    "DOC": "DOCTEUR",
    "PR": "PROFESSEUR",
    "PROF": "PROFESSEUR",
    "ABB": "ABBE",
    "MGR": "MONSEIGNEUR",
    "ME": "MAITRE",
    "MME": "MADAME",
    "MLLE": "MADEMOISELLE",
    "M": "MONSIEUR",
    "FR": "FRERES",
    "PREMIER": "1",
    "PREMIERE": "1",
}

# Dropped from keys: rolls write "RUE DU CL DRIANT", the BAN "Rue du Colonel Driant", people
# "rue colonel Driant".
STOP_WORDS = frozenset(
    {"LE", "LA", "LES", "L", "D", "DE", "DU", "DES", "AU", "AUX", "ET", "EN", "A", "SUR", "SOUS"}
)

REPETITIONS: dict[str, str] = {
    "B": "BIS",
    "BIS": "BIS",
    "T": "TER",
    "TER": "TER",
    "Q": "QUATER",
    "QUATER": "QUATER",
    "QUINQUIES": "QUINQUIES",
    "C": "C",
    "D": "D",
    "E": "E",
    "F": "F",
    "G": "G",
    "H": "H",
    "A": "A",
}

# Noise after or inside the street: "BAT B", "ESC 3", "APPT 12", "ETAGE 2", "PORTE 4", "LOGT".
_NOISE = re.compile(
    r"\b(?:(?:APPARTEMENT|APPART|APPT|APT|BATIMENT|BAT|BT|ESCALIER|ESC|ETAGE|ETG|PORTE|"
    r"LOGEMENT|LOGT|LGT|CHAMBRE|BOITE|BAL|BP|CS)\s+(?:\d{1,4}[A-Z]?|[A-Z])|ET\s+\d{1,2})\b"
)
_TRAILING_NOISE = re.compile(r"\b(?:CEDEX|RDC|REZ DE CHAUSSEE)\b.*$")
_ORDINAL = re.compile(r"^(\d+)(?:ER|ERE|EME|E|ME|IEME)$")
_NUMBER = re.compile(r"^(\d{1,5})\s*(BIS|TER|QUATER|QUINQUIES|[A-H])?(?:\s+|$)")
# "129 131 AVENUE…", "49 - 51 BOULEVARD…", "8/10 RUE…": the first number is the address.
_SECOND_NUMBER = re.compile(r"^(?:[-/]\s*)?\d{1,5}\s*(?:BIS|TER)?\s+(?=[A-Z])")
_REPETITION_WORD = re.compile(r"^(BIS|TER|QUATER|QUINQUIES|[A-H])\b\s*")


def fold(text: str) -> str:
    """Upper case, accents removed, punctuation and apostrophes turned into spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.upper().replace("Œ", "OE").replace("Æ", "AE").replace("°", " ")
    text = re.sub(r"[^A-Z0-9]+", " ", text)
    return " ".join(text.split())


def street_key(text: str) -> str:
    """The comparable form of a street name (``Av. du Gal Leclerc`` → ``AVENUE GENERAL
    LECLERC``); empty when nothing is left."""
    folded = fold(text)
    folded = _TRAILING_NOISE.sub("", folded)
    folded = _NOISE.sub(" ", folded)
    folded = re.sub(r"\bN D\b", "NOTRE DAME", folded)
    words: list[str] = []
    for word in folded.split():
        ordinal = _ORDINAL.match(word)
        if ordinal:
            word = ordinal.group(1)
        word = ABBREVIATIONS.get(word, word)
        for part in word.split():
            if part not in STOP_WORDS:
                words.append(part)
    return " ".join(words)


@dataclass(frozen=True)
class ParsedAddress:
    """An address reduced: ``number`` is None when none was given; ``repetition`` is ``BIS``,
    ``TER``, ``QUATER``, a letter, or empty."""

    number: int | None
    repetition: str
    street: str  # the street key

    @property
    def parity(self) -> int | None:
        return None if self.number is None else self.number % 2


def parse_address(text: str) -> ParsedAddress:
    """Split what was typed or read into number, repetition index and street key."""
    folded = " ".join(_NOISE.sub(" ", fold(text)).split())
    number: int | None = None
    repetition = ""
    match = _NUMBER.match(folded)
    if match:
        number = int(match.group(1))
        repetition = REPETITIONS.get(match.group(2) or "", "")
        rest = folded[match.end() :]
        if not repetition:
            word = _REPETITION_WORD.match(rest)
            # "12 B RUE …" is 12 bis; but "12 A ROUTE …" may be a street named "A": only the
            # full words and the letters followed by a street are read as repetition.
            if word and word.group(1) in {"BIS", "TER", "QUATER", "QUINQUIES"}:
                repetition = word.group(1)
                rest = rest[word.end() :]
        rest = _SECOND_NUMBER.sub("", rest, count=1)
    else:
        rest = folded
    return ParsedAddress(number=number, repetition=repetition, street=street_key(rest))


def street_name_part(key: str) -> str:
    """The key without its first word when that word is a street type (``RUE JEAN JAURES`` →
    ``JEAN JAURES``): lets "Jean Jaurès" find the one street of that name."""
    first, _sep, rest = key.partition(" ")
    return rest if first in STREET_TYPES and rest else key


STREET_TYPES = frozenset(
    {
        "RUE",
        "AVENUE",
        "BOULEVARD",
        "ALLEE",
        "IMPASSE",
        "PLACE",
        "CHEMIN",
        "ROUTE",
        "SQUARE",
        "VILLA",
        "PASSAGE",
        "QUAI",
        "COURS",
        "RESIDENCE",
        "LOTISSEMENT",
        "HAMEAU",
        "FAUBOURG",
        "PROMENADE",
        "SENTIER",
        "SENTE",
        "VOIE",
        "CITE",
        "CLOS",
        "RUELLE",
        "ESPLANADE",
        "PARVIS",
        "CARREFOUR",
        "ROND",
        "MAIL",
        "PONT",
        "PORT",
        "DOMAINE",
        "QUARTIER",
        "LIEU",
        "TERRASSE",
        "PARC",
        "COUR",
        "ZONE",
    }
)
