"""The glossary: reading TOML and CSV files, masking terms, restoring them, pieces fallback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from briefer import UsageError
from briefer.glossary import Glossary, Term, load, mask, missing, protect, unmask

# A newsroom's glossary in both forms: names kept verbatim, and house translations.
TOML = """
keep = ["Laurent Fabius", "DGAP"]

[terms."Islamic State"]
fr = "État islamique"
ar = "تنظيم الدولة الإسلامية"
"""
CSV = "term,fr,ar\nLaurent Fabius,,\nDGAP,,\nIslamic State,État islamique,تنظيم الدولة الإسلامية\n"


@pytest.fixture()
def glossary(tmp_path: Path) -> Glossary:
    """Return the glossary above, read from its TOML file."""
    path = tmp_path / "glossary.toml"
    path.write_text(TOML, encoding="utf-8")
    return load(path)


def test_toml_and_csv_give_the_same_glossary(tmp_path: Path, glossary: Glossary) -> None:
    path = tmp_path / "glossary.csv"
    path.write_text(CSV, encoding="utf-8")
    assert load(path) == glossary
    state = next(t for t in glossary.terms if t.text == "Islamic State")
    assert state.target("fr") == "État islamique"
    assert state.target("es") == "Islamic State"
    assert Term("DGAP").target("ar") == "DGAP"


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_csv_in_semicolons_or_tabs_reads_as_with_commas(
    tmp_path: Path, glossary: Glossary, separator: str
) -> None:
    """Excel saves CSV with semicolons where a comma is the decimal mark (a French or Arabic
    locale); "term;fr;ar" was refused as having no header starting with "term"."""
    path = tmp_path / "glossary.csv"
    path.write_text("\ufeff" + CSV.replace(",", separator), encoding="utf-8")
    assert load(path) == glossary


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("g.toml", "keep = [1]", "keep\\[0\\]: a term must be non-empty text"),
        ("g.toml", "keep = 'x'", "keep must be a list"),
        ("g.toml", "words = []", "unknown key 'words'"),
        ("g.toml", "keep = [", "not valid TOML"),
        ("g.toml", 'keep = ["IS", "IS"]', "'IS' is listed twice"),
        ("g.csv", "name,fr\nX,Y\n", 'header starting with "term"'),
        ("g.csv", "term,fr\nX,Y,Z\n", "line 2: more cells than the header"),
        # Line numbers are the file's, blank lines counted.
        ("g.csv", "term,fr\n\nParis,Paris\nX,Y,Z\n", "line 4: more cells than the header"),
        # A quote never closed would read the rest of the file as one cell.
        ("g.csv", 'term,fr\n"Paris,Paris\nLondon,Londres\n', "line 2: not valid CSV"),
        # The line the bad row starts on, however many lines follow it.
        ("g.csv", 'term,fr\nParis,Paris\n"Elysee,Élysée\nBrussels,B\nBerlin,B\n', "line 3: not"),
        ("g.csv", 'term,fr\n"Quai\nd\'Orsay",Quai\nX,Y,Z\n', "line 4: more cells than"),
        ("g.csv", 'term,fr\n"Paris" (city),Paris\n', "line 2: not valid CSV"),
        ("g.txt", "x", "name it .toml or .csv"),
        # A language key no run can ask for was silently never applied.
        ("g.toml", '[terms."Paris"]\nxx = "P"', "terms.'Paris': 'xx' is not a language code"),
        ("g.csv", "term,xx\nParis,P\n", "header: 'xx' is not a language code"),
        # Two keys that are one language: which applied was a matter of sorting.
        ("g.toml", '[terms."Paris"]\nfr = "P"\nFR = "Q"', "language 'fr' is given twice"),
        ("g.csv", "term,pt-BR,pt-PT\nParis,P,Q\n", "header: language 'pt' is given twice"),
    ],
)
def test_bad_glossaries_are_usage_errors(tmp_path: Path, name: str, text: str, message: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("g.toml", '[terms."Islamic State"]\nFR = "État islamique"\n'),
        ("g.toml", '[terms."Islamic State"]\nfra = "État islamique"\n'),
        ("g.csv", "term,fr-FR\nIslamic State,État islamique\n"),
    ],
)
def test_glossary_language_keys_are_read_as_lang_reads_them(
    tmp_path: Path, name: str, text: str
) -> None:
    # FR, fra and fr-FR are French to --lang; a house translation under them was never applied.
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (term,) = load(path).terms
    assert term.target("fr") == "État islamique"


def test_the_pieces_fallback_keeps_punctuation_where_it_was(glossary: Glossary) -> None:
    def scrambler(texts: list[str]) -> list[str]:
        return [f"[{re.sub(r'[0-9]', '', t)}]" for t in texts]  # loses every placeholder

    sentence = "The envoy met Laurent Fabius."
    assert protect([sentence], glossary, "en", scrambler) == ["[The envoy met] Laurent Fabius."]
    # French sets a space before ; and !, and English none.
    assert protect(["Laurent Fabius ; DGAP !"], glossary, "fr", scrambler) == [
        "Laurent Fabius ; DGAP !"
    ]
    assert protect(["Laurent Fabius; DGAP!"], glossary, "en", scrambler) == [
        "Laurent Fabius; DGAP!"
    ]


def test_a_missing_glossary_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read it"):
        load(tmp_path / "nowhere.toml")


def test_terms_are_found_longest_first_and_whole_words(glossary: Glossary) -> None:
    text = "The Islamic State group fought; DGAP and Laurent Fabius spoke; DGAPS did not."
    found = [(text[s:e], t.text) for s, e, t in glossary.find(text)]
    assert found == [
        ("Islamic State", "Islamic State"),
        ("DGAP", "DGAP"),
        ("Laurent Fabius", "Laurent Fabius"),
    ]


def test_mask_and_unmask_round_trip(glossary: Glossary) -> None:
    masked = mask("Laurent Fabius spoke about the Islamic State in 7731 words.", glossary)
    # 7731 is taken by the sentence itself, so the placeholders skip it.
    assert masked.text == "7732 spoke about the 7733 in 7731 words."
    restored = unmask("7732 a parlé de l'7733 en 7731 mots.", masked, "fr")
    assert restored == "Laurent Fabius a parlé de l'État islamique en 7731 mots."
    # Arabic-Indic digits and a grouping space still count as the placeholder.
    arabic = unmask("تحدث ٧٧٣٢ عن 7 733.", masked, "ar")
    assert arabic == "تحدث Laurent Fabius عن تنظيم الدولة الإسلامية."
    assert unmask("7732 a parlé.", masked, "fr") is None  # one placeholder lost
    assert unmask("7732 7732 7733.", masked, "fr") is None  # one repeated


def test_protect_copies_through_a_model_that_keeps_placeholders(glossary: Glossary) -> None:
    calls: list[list[str]] = []

    def copier(texts: list[str]) -> list[str]:
        calls.append(texts)
        return [t.upper() for t in texts]  # a "translation" that copies numbers

    out = protect(
        ["Laurent Fabius met the Islamic State envoy.", "No terms."], glossary, "fr", copier
    )
    assert out == ["Laurent Fabius MET THE État islamique ENVOY.", "NO TERMS."]
    assert len(calls) == 1


def test_protect_falls_back_to_pieces_when_placeholders_are_lost(glossary: Glossary) -> None:
    calls: list[list[str]] = []

    def scrambler(texts: list[str]) -> list[str]:
        calls.append(texts)
        return [f"<{len(t)}>" for t in texts]  # loses every placeholder

    out = protect(["Laurent Fabius met the Islamic State envoy."], glossary, "ar", scrambler)
    assert calls[1] == ["met the", "envoy."]
    assert out == ["Laurent Fabius <7> تنظيم الدولة الإسلامية <6>"]


def test_missing_terms_are_named(glossary: Glossary) -> None:
    brief = "Laurent Fabius spoke of the Islamic State."
    assert missing(glossary, brief, "Laurent Fabius a parlé de l'État islamique.", "fr") == []
    assert missing(glossary, brief, "Fabius a parlé de l'Etat.", "fr") == [
        "Laurent Fabius",
        "État islamique",
    ]


# Names that are also ordinary words, as a newsroom glossary holds them (the US, Theresa May,
# Condoleezza Rice, the Apple company) beside a lower-case common term.
CASE = """
keep = ["US", "May", "Rice", "Apple"]

[terms."central bank"]
fr = "banque centrale"
"""


def test_terms_are_found_as_written_not_in_ordinary_words(tmp_path: Path) -> None:
    path = tmp_path / "glossary.toml"
    path.write_text(CASE, encoding="utf-8")
    glossary = load(path)
    text = "They told us they may come, and the apple and rice harvests are late."
    assert glossary.find(text) == []
    assert mask(text, glossary).text == text  # the model reads the sentence as it is
    names = "The US said May and Rice would meet Apple; the central bank agreed."
    found = [(names[s:e], t.text) for s, e, t in glossary.find(names)]
    assert found == [
        ("US", "US"),
        ("May", "May"),
        ("Rice", "Rice"),
        ("Apple", "Apple"),
        ("central bank", "central bank"),
    ]
    # A lower-case term opens a sentence with a capital; a name in capitals is another word.
    opening = "Central bank officials met. APPLE SHARES FELL."
    assert [(opening[s:e], t.text) for s, e, t in glossary.find(opening)] == [
        ("Central bank", "central bank")
    ]
    # Its house translation opens the sentence as the term did: with a capital.
    masked = mask(opening, glossary)
    assert unmask(masked.text, masked, "fr") == "Banque centrale officials met. APPLE SHARES FELL."
    # A name and a word that differ only by case are two terms: "May" the name wins its form.
    both = Glossary((Term("may"), Term("May", (("fr", "mai"),))))
    sentence = "In May they may meet."
    assert [(sentence[s:e], t.text) for s, e, t in both.find(sentence)] == [
        ("May", "May"),
        ("may", "may"),
    ]


@pytest.mark.parametrize(
    ("sentence", "copied"),
    [
        # An age after a name, agencies in a list, a year before a term: everyday news.
        ("Laurent Fabius, 70, said the talks would resume.", str.upper),
        ("DGAP, Laurent Fabius and AP reported the story.", str.upper),
        ("In 2015 Islamic State fighters took the city.", str.upper),
        # A term before a number of three digits: "7731 737" is no 7,731,737.
        ("DGAP 737 jets and Laurent Fabius 225 times.", str.upper),
        # An Arabic model writing the placeholder with the Arabic thousands separator.
        (
            "Laurent Fabius said Islamic State fell.",
            lambda t: re.sub(r"\d(\d{3})", lambda m: "\u0667\u066c" + m.group(1), t),
        ),
    ],
)
def test_a_placeholder_beside_a_number_or_another_term_is_found(
    glossary: Glossary, sentence: str, copied
) -> None:
    """Read across ", " and " ", "7731, 70" was the number 773170: the placeholder counted as
    lost, and the sentence went to the model again in fragments."""
    calls: list[list[str]] = []

    def model(texts: list[str]) -> list[str]:
        calls.append(texts)
        return [copied(t) for t in texts]

    out = protect([sentence], glossary, "fr", model)
    assert len(calls) == 1, calls  # no second batch of pieces
    assert out[0] is not None
    for term in ("Laurent Fabius", "DGAP"):
        assert (term in out[0]) == (term in sentence)
    assert ("État islamique" in out[0]) == ("Islamic State" in sentence)
