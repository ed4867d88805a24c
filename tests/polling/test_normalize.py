"""Addresses as rolls, the BAN and people write them land on one key."""

from __future__ import annotations

import pytest

from polling.normalize import parse_address, street_key


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("RUE DU CL DRIANT", "Rue du Colonel Driant"),
        ("AVE DU GAL LECLERC", "avenue du Général Leclerc"),
        ("BD DE STRASBOURG", "Boulevard de Strasbourg"),
        ("BLD GALLIENI", "boulevard Gallieni"),
        ("AL DE L AULNAIE", "Allée de l'Aulnaie"),
        ("R ST JUST", "rue Saint-Just"),
        ("AV DU MAL DE LATTRE DE TASSIGNY", "Avenue du Maréchal de Lattre de Tassigny"),
        ("RUE DU 1ER MAI", "rue du Premier Mai"),
        ("IMP DU STADE", "Impasse du Stade"),
        ("PL BOBILLOT", "place Bobillot"),
        ("RUE JEAN JAURES", "Rue Jean-Jaurès"),
    ],
)
def test_abbreviations_accents_and_articles_do_not_matter(written: str, same_as: str) -> None:
    assert street_key(written) == street_key(same_as)


def test_different_streets_stay_different() -> None:
    assert street_key("rue Jean Jaurès") != street_key("avenue Jean Jaurès")
    assert street_key("rue de la Marne") != street_key("rue de la Seine")


@pytest.mark.parametrize(
    ("text", "number", "repetition", "street"),
    [
        ("15 rue Jean Jaurès", 15, "", "RUE JEAN JAURES"),
        ("8 BIS RUE DU BAC", 8, "BIS", "RUE BAC"),
        ("8bis rue du Bac", 8, "BIS", "RUE BAC"),
        ("103BIS AVE DU MOULIN", 103, "BIS", "AVENUE MOULIN"),
        ("2B AVE GAMBETTA", 2, "BIS", "AVENUE GAMBETTA"),
        ("12 Ter ILE FANAC", 12, "TER", "ILE FANAC"),
        ("129   131 AVENUE DU BAC", 129, "", "AVENUE BAC"),
        ("49 - 51  BOULEVARD DE STALINGRAD", 49, "", "BOULEVARD STALINGRAD"),
        ("12 rue du Bac bât. B esc. 3 appt 12", 12, "", "RUE BAC"),
        ("APPT 4 12 RUE DU BAC", 12, "", "RUE BAC"),
        ("BOULEVARD DES ALLIES", None, "", "BOULEVARD ALLIES"),
        ("", None, "", ""),
    ],
)
def test_number_repetition_and_noise(
    text: str, number: int | None, repetition: str, street: str
) -> None:
    parsed = parse_address(text)
    assert (parsed.number, parsed.repetition, parsed.street) == (number, repetition, street)
