"""What the learned matcher must find: the spelling phenomena of the field, each as a reviewer would check it.

Each case is a listed entry and a query that names the same person or company the way another writer would. A
case passes when a search of an index holding the entry among unrelated ones suggests it for review (at or above
REVIEW_THRESHOLD): found by retrieval, and scored high enough to be seen. Exact scores are the model's business.
"""

from __future__ import annotations

import pytest

from app.matching.index import DEFAULT_THRESHOLD, REVIEW_THRESHOLD, MatchIndex
from app.matching.query import MatchQuery
from app.matching.score import score
from tests.matching.conftest import make_entry

# Cases the model of 2026-12-05 (trees with matched_rarity) does not reach yet (scored below the review threshold):
# kept strict, so that a model that reaches them says so.
NOT_YET = pytest.mark.xfail(strict=True, reason="below the review threshold with the current model")

PEOPLE = [
    ("1", "KARIMI, Reza"),
    ("2", "HUSSEIN, Mustafa Kamal"),
    ("3", "BOUCHAIB, Jamal"),
    ("4", "PETROV, Aleksandr Ivanovich"),
    ("5", "MELNIK, Sergey Petrovich"),
    ("6", "IVANOVA, Yekaterina"),
    ("7", "NAQDI, Mohammad Reza"),
    ("8", "AL FAYYADH, Falih Faisal Fahad"),
    ("9", "KELJMENDI, Naser"),
    ("10", "BELAVENCEV, Oleg Evgenyevich"),
    ("11", "ZARIF, Mohammad Javad"),
    ("12", "RAHIMI, Ali Akbar"),
    ("13", "KUZNETSOV, Dmitry"),
    ("14", "AL-MASRI, Ahmad Mustafa"),
    ("15", "DJORDJEVIC, Dragan"),
    ("16", "CHO'N, Myo'ng-ch'o'l"),
    ("17", "RUSAKEVICH, Uladzimir Vasilievich"),
    ("18", "RADKOV, Aleksandr Mikhailovich"),
    ("19", "SERDYUKOV, Sergey Anatolevich"),
    ("30", "KHASANOV, Akhmed"),
    ("31", "AL-SHAMMARI, Nayif Fayiz"),
    ("32", "DAWOUD, Fawziya"),
    ("36", "AZAROV, Mykola Yanovych"),
    ("37", "SHEVCHUK, Petro Fedorovych"),
    ("39", "KOZYURA, Oleg Grigorievich"),
    ("40", "KOSTENKO, Elena Nikolaevna"),
    ("43", "AL-SHAAR, Mohammad Ibrahim"),
    ("44", "SLIZHEVSKI, Oleg Leonidovich"),
    ("49", "BASHIR, Abu Bakar"),
]
COMPANIES = [
    ("20", "AKTSIONERNOE OBSHCHESTVO KONTSERN AVTOMATIKA"),
    ("21", "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO SBERBANK ROSSII"),
    ("22", "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU ROMASHKA TREID"),
    ("23", "BANK MELLAT"),
    ("24", "ROSTEC STATE CORPORATION"),
    ("25", "KONTSERN RADIOELEKTRONNYE TEKHNOLOGII"),
    ("26", "KANBAWZA GROUP OF COMPANIES"),
    ("27", "NAUCHNO-PROIZVODSTVENNOE OBYEDINENIE SPETSIALNAYA TEKHNIKA"),
    ("28", "AKTSIONERNOE OBSHCHESTVO ZAVOD DAGDIZEL"),
    ("29", "CASPIAN AIRLINES"),
    ("33", "SHIRAZ ELECTRONICS INDUSTRIES"),
    ("34", "XIUNA TRADING CO., LTD."),
    ("35", "FIRST ARMORED DIVISION"),
    ("38", "GAZPROMBANK (SWITZERLAND) LTD"),
    ("41", "KOREA SAMMA SHPG CO"),
    ("45", "MANAGEMENT COMPANY METALLOINVEST LLC"),
    ("46", "UK BITRIVER, LLC"),
    ("47", "HYDRA MARKET"),
    ("48", "NOURI PETROCHEMICAL COMPANY"),
]


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    entries = [make_entry(i, n) for i, n in PEOPLE] + [
        make_entry(i, n, kind="organization") for i, n in COMPANIES
    ]
    return MatchIndex((("ofac_sdn", e.list_id), e) for e in entries)


def suggested(index: MatchIndex, name: str, kind: str | None = None) -> list[str]:
    hits = index.search(MatchQuery(names=[name], kind=kind), threshold=REVIEW_THRESHOLD)
    return [key[1] for key, _, _ in hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # romanizations of one Arabic/Persian/Turkish given name
        ("Rida Karimi", "1"),
        ("Riza KARIMI", "1"),
        ("Mostafa Kamal Hussein", "2"),
        ("Moustafa Kamal HUSSEIN", "2"),
        ("Djamel Bouchaib", "3"),
        ("Gamal Bouchaib", "3"),
        # Russian and Ukrainian forms of one name
        ("Oleksandr Petrov", "4"),
        ("Serhiy Melnyk", "5"),
        ("Kateryna Ivanova", "6"),
        (
            "Nikolai Azarov",
            "36",
        ),  # forms no spelling rule joins: a table of them (words.json given_name_forms)
        ("Pyotr Shevchuk", "37"),
        # a patronymic in the other language's form: the father's name in both (Hryhoriy/Grigoriy, Mykola/Nikolai)
        ("Oleh Hryhorovych KOZYURA", "39"),
        ("Olena Mykolaivna KOSTENKO", "40"),
        # Belarusian and Russian forms: one name item in rigour's corpus (Uladzimir/Vladimir); dz and -ou for d
        # and -ov
        # ... whose surname ends as a patronymic would (RUSAKEVICH, Uladzimir Vasilievich)
        ("Vladimir Rusakevich", "17"),
        ("Aliaksandr RADZKOU", "18"),
        ("Ekaterina Ivanova", "6"),  # a word-initial е as ye or e
        ("Sergei Serdiukov", "19"),  # ю as iu (Ukrainian) or yu (Russian) after a consonant
        ("Ahmed Hasanov", "30"),  # an Arabic name by way of Russian: х is kh, for ح as for خ
        ("Naif Faiz al-Shammari", "31"),  # the ئ/ي between two vowels written y or not (نايف, فائز)
        ("Fawzia Daoud", "32"),  # ... and the و of داود after a vowel as ou (French) or wu
        ("AL-CHAAR, Mohammad Ibrahim", "43"),  # ... and the ش as ch (French) or sh
        ("SLIZHEUSKI, Aleh Leanidavich", "44"),  # Belarusian Aleh, Russian Oleg
        ("Abu Bakar BA'ASYIR", "49"),  # Indonesian sy for sh (Ba'asyir, Bashir: بشير)
        # the same surname and first given name, a variant of the other given name
        ("Mohammad Rida NAQDI", "7"),
        # two parts of a four-part listed name
        ("Falih Fayyadh", "8"),
        # doubled, dropped, swapped letters
        ("Naser Kelmendi", "9"),
        ("Oleg BELAVENTSEV", "10"),
        ("Mohammad Javad Zraif", "11"),
        ("Ali Akbar Rahimmi", "12"),
        ("Dmitry Kuznetzov", "13"),
        ("Dragan Dordevic", "15"),  # the Serbo-Croatian đ as dj or d
        # Korean romanizations: McCune-Reischauer, the DPRK's, South Korea's Revised Romanization
        ("JON Myong Chol", "16"),
        ("Jeon Myeong-cheol", "16"),
        # word order
        ("Ahmad Mustafa al-Masri", "14"),
        ("Masri Ahmad Mustafa", "14"),
    ],
)
def test_person_variants_reach_review(index, query, expected):
    assert expected in suggested(index, query)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Russian legal forms written out, abbreviated or translated
        ("AO KONTSERN AVTOMATIKA", "20"),
        ("JSC Kontsern Avtomatika", "20"),
        ("Avtomatika Concern Joint Stock Company", "20"),
        ("PAO Sberbank Rossii", "21"),
        ("OOO ROMASHKA TREID", "22"),
        ("Romashka Treid LLC", "22"),
        # a bank and the same bank with its legal form
        ("Bank Mellat PJSC", "23"),
        ("ROSTEC", "24"),  # a state corporation (goskorporatsiya) is a legal form
        ("Kanbawza Group", "26"),
        # an acronym against the words it abbreviates
        ("NPO SPETSIALNAYA TEKHNIKA", "27"),  # a plural legal form ("companies") weighs as its singular
        # a Russian word of the name and its translation (zavod: plant, factory)
        ("JSC DAGDIZEL PLANT", "28"),
        ("Dagdizel Factory", "28"),
        # the words of a company's trade, shortened or in another form
        ("CASPIAN AIR", "29"),
        ("SHIRAZ ELECTRONICS IND.", "33"),
        ("XIUNA TRADE CO", "34"),
        ("1ST ARMORED DIVISION", "35"),  # an ordinal in figures or in words
        ("GAZPROMBANK SCHWEIZ AG", "38"),  # a country in another language (rigour.territories)
        ("KOREA SAMMA SHIPPING CO", "41"),  # a generic word cut short (SHPG) or written in full
        # a management company (upravlyayushchaya kompaniya) in Russian, in English, as UK or MC
        ("UPRAVLYAYUSHCHAYA KOMPANIYA METALLOINVEST OOO", "45"),
        ("MC BITRIVER, LLC", "46"),
        ("HYDRA MARKETPLACE", "47"),  # a market and a marketplace
        ("NOURI PETROCHEMICAL COMPLEX", "48"),  # a complex is how a company is organized, as a group is
    ],
)
def test_organization_variants_reach_review(index, query, expected):
    assert expected in suggested(index, query, kind="organization")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Александр Петров", "4"),
        ("Сергей Мельник", "5"),
        pytest.param("فالح الفياض", "8", marks=NOT_YET),
    ],
)
def test_other_scripts_reach_review(index, query, expected):
    assert expected in suggested(index, query)


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Sergey Petrov", "PETROV, Aleksandr Ivanovich"),  # a shared surname alone
        ("Mohammad Zarifi", "ZARIF, Mohammad Javad"),
        ("Ali Hamda", "HAMZA, Ali"),
        (
            "Kim Yong Chun",
            "KIM, Yong Chol",
        ),  # one Korean syllable of two apart  # a z after a consonant is a ز, not the ض written z between vowels
    ],
)
def test_other_people_are_not_matches(query, listed):
    assert score(MatchQuery(names=[query]), make_entry("1", listed)).score < DEFAULT_THRESHOLD


def test_another_ordinal_is_another_unit():
    query = MatchQuery(names=["4TH ARMORED DIVISION"], kind="organization")
    assert (
        score(query, make_entry("1", "FIRST ARMORED DIVISION", kind="organization")).score < DEFAULT_THRESHOLD
    )


def test_another_complex_is_another_company():
    """COMPLEX says how a company is organized (NOURI PETROCHEMICAL COMPLEX is NOURI PETROCHEMICAL COMPANY), not
    which one: the name's own word still decides."""
    query = MatchQuery(names=["MEHR PETROCHEMICAL COMPLEX"], kind="organization")
    listed = make_entry("1", "NOURI PETROCHEMICAL COMPANY", kind="organization")
    assert score(query, listed).score < REVIEW_THRESHOLD
