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


# Chinese company names: the lists' Latin names romanize the proper name ("HUAXIN", "SHEN ZHONG") and translate the
# business words ("華信船務(香港)有限公司" is HUAXIN SHIPPING HONGKONG LTD). Simplified and traditional forms.
_CJK_ENTRIES: dict[str, str] = {
    "股份有限公司": "joint stock company limited",
    "有限责任公司": "limited liability company",
    "有限責任公司": "limited liability company",
    "有限公司": "limited",
    "公司": "company",
    "会社": "company",
    "會社": "company",
    "集团": "group",
    "集團": "group",
    "控股": "holdings",
    "国际": "international",
    "國際": "international",
    "海运": "shipping",
    "海運": "shipping",
    "航运": "shipping",
    "航運": "shipping",
    "船务": "shipping",
    "船務": "shipping",
    "物流": "logistics",
    "贸易": "trading",
    "貿易": "trading",
    "商贸": "trading",
    "商貿": "trading",
    "技术": "technology",
    "技術": "technology",
    "科技": "technology",
    "机械": "machinery",
    "機械": "machinery",
    "电子": "electronics",
    "電子": "electronics",
    "工业": "industrial",
    "工業": "industrial",
    "实业": "industrial",
    "實業": "industrial",
    "投资": "investment",
    "投資": "investment",
    "发展": "development",
    "發展": "development",
    "银行": "bank",
    "銀行": "bank",
    "能源": "energy",
    "石油": "petroleum",
    "化工": "chemical",
    "香港": "hongkong",
    "中国": "china",
    "中國": "china",
    "朝鲜": "korea",
    "朝鮮": "korea",
}
_CJK_RE = re.compile("|".join(sorted(map(re.escape, _CJK_ENTRIES), key=len, reverse=True)))


def translate_cjk(text: str) -> str:
    """A name in Chinese characters with its business words in English, each set apart by spaces."""
    return _CJK_RE.sub(lambda m: f" {_CJK_ENTRIES[m.group(0)]} ", text)
