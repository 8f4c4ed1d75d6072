"""The words of organization names in Arabic and Persian script, with the English words the lists translate them by.

The UN list gives "الجماعة الاسلامية المقاتلة الليبية" as the original script of LIBYAN ISLAMIC FIGHTING GROUP: the
Latin name is a translation, not a transliteration, so no spelling rule can link them. Organization names draw on
a small vocabulary (group, front, movement, state, Islamic, the countries of the region), which this table covers.
A word found here is compared both by its sound and by its translation; a word that translates to a generic word
("front", "network") weighs as that generic word does. People's names are never translated.

Keys are written as :func:`normalize_arabic` leaves them (no article, one form of alif, ta marbuta as ه, Arabic
kaf and yeh for their Persian forms).
"""

from __future__ import annotations

import re

_ARABIC_VARIANTS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",
        "ک": "ك",
        "ۀ": "ه",
        "ـ": None,
    }
)
_MARKS_RE = re.compile("[\u064b-\u065f\u0670]")


def normalize_arabic(word: str) -> str:
    """One spelling of an Arabic-script word for lookup: harakat dropped, letter variants merged."""
    return _MARKS_RE.sub("", word).translate(_ARABIC_VARIANTS)


_ENTRIES: dict[str, tuple[str, ...]] = {
    # kinds of organization
    "جماعه": ("group",),
    "جبهه": ("front",),
    "حركه": ("movement",),
    "تنظيم": ("organization",),
    "منظمه": ("organization",),
    "شبكه": ("network",),
    "مكتب": ("office",),
    "شركه": ("company",),
    "شركت": ("company",),
    "كمپني": ("company",),
    "مؤسسه": ("foundation", "establishment"),
    "موسسه": ("foundation", "establishment"),
    "جمعيه": ("society", "association"),
    "لجنه": ("committee",),
    "هيئه": ("committee", "assembly", "commission"),
    "مجلس": ("council",),
    "جيش": ("army",),
    "كتائب": ("brigades",),
    "كتيبه": ("battalion",),
    "لواء": ("brigade",),
    "سرايا": ("brigades", "companies"),
    "مصرف": ("bank",),
    "بنك": ("bank",),
    "صرافه": ("exchange",),
    "للصرافه": ("exchange",),
    "حواله": ("hawala",),
    "گروه": ("group",),
    "سپاه": ("corps", "guard"),
    "نيروي": ("force",),
    "قوات": ("forces",),
    "قوه": ("force",),
    "اتحاد": ("union",),
    "دوله": ("state",),
    "ولايه": ("province",),
    "امارت": ("emirate",),
    "اماره": ("emirate",),
    # qualifiers
    "اسلاميه": ("islamic",),
    "اسلامي": ("islamic",),
    "اسلام": ("islam",),
    "مقاتله": ("fighting", "combatant"),
    "خيريه": ("charitable", "charity"),
    "اغاثه": ("relief",),
    "احياء": ("revival",),
    "تراث": ("heritage",),
    "تحرير": ("liberation",),
    "انقلاب": ("revolution",),
    "ثوري": ("revolutionary",),
    "پاسداران": ("guards",),
    "دعوه": ("dawa", "propagation"),
    "توحيد": ("tawhid", "unity", "unification", "monotheism"),
    "انصار": ("ansar", "supporters"),
    "مهاجرين": ("muhajireen", "emigrants"),
    "مسلمين": ("muslims",),
    "سنه": ("sunna",),
    "اهل": ("people",),
    "لاهل": ("people",),
    "شعب": ("people",),
    "قاعده": ("qaida", "base"),
    "نصره": ("nusra", "support", "victory"),
    "شهداء": ("martyrs",),
    "جهاد": ("jihad",),
    "مجاهدين": ("mujahideen",),
    "حق": ("haq", "truth"),
    # places
    "عراق": ("iraq",),
    "عراقيه": ("iraqi",),
    "شام": ("levant", "sham"),
    "يمن": ("yemen",),
    "سوريا": ("syria",),
    "سوريه": ("syria",),
    "ليبيا": ("libya",),
    "ليبيه": ("libyan",),
    "ليبي": ("libyan",),
    "مغرب": ("maghreb", "morocco"),
    "مغربيه": ("moroccan",),
    "تونسيه": ("tunisian",),
    "تونس": ("tunisia",),
    "مصري": ("egyptian",),
    "مصر": ("egypt",),
    "صومال": ("somalia",),
    "سودان": ("sudan",),
    "فلسطين": ("palestine",),
    "لبنان": ("lebanon",),
    "افغانستان": ("afghanistan",),
    "باكستان": ("pakistan",),
    "ايران": ("iran",),
    "جزيره": ("peninsula",),
    "عرب": ("arab", "arabian"),
    "عربيه": ("arab", "arabian"),
    "بلاد": ("lands", "country"),
    "غرب": ("west", "western"),
    "شرق": ("east", "eastern"),
    "افريقيا": ("africa",),
    "سينا": ("sinai",),
    "سيناء": ("sinai",),
    "خراسان": ("khorasan",),
    # little words, with the romanizations that Latin names keep untranslated ("wal-Jihad", "fi Bilad")
    "في": ("in", "fi"),
    "من": ("from", "of", "min"),
    "و": ("and", "wa", "wal"),
    "ب": ("with", "bi"),
    "ضد": ("against",),
    "د": ("of",),  # Pashto
    "او": ("and",),  # Pashto; "or" in Arabic, rare in names
    "لمتد": ("limited",),
    "لميتد": ("limited",),
}
GLOSSARY: dict[str, tuple[str, ...]] = {normalize_arabic(k): v for k, v in _ENTRIES.items()}


def translations(word: str) -> tuple[str, ...]:
    """The English words an Arabic-script word of an organization name is translated by, or ()."""
    return GLOSSARY.get(normalize_arabic(word), ())
