"""Country names as the sanctions lists write them, mapped to ISO 3166-1 alpha-2 codes.

The lists do not agree on names: OFAC writes "Korea, North" and "Burma", the UN "Democratic People's Republic of
Korea" and "Iran (Islamic Republic of)", OFSI often a nationality adjective ("Iraqi"). The table below holds the ISO
short names plus every spelling found in the published files under shared/data; anything else is reported as
unmapped by the caller rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# ISO 3166-1: code and English short name, one per line.
_ISO_NAMES = """
AD Andorra
AE United Arab Emirates
AF Afghanistan
AG Antigua and Barbuda
AI Anguilla
AL Albania
AM Armenia
AO Angola
AQ Antarctica
AR Argentina
AS American Samoa
AT Austria
AU Australia
AW Aruba
AX Aland Islands
AZ Azerbaijan
BA Bosnia and Herzegovina
BB Barbados
BD Bangladesh
BE Belgium
BF Burkina Faso
BG Bulgaria
BH Bahrain
BI Burundi
BJ Benin
BL Saint Barthelemy
BM Bermuda
BN Brunei Darussalam
BO Bolivia
BQ Bonaire, Sint Eustatius and Saba
BR Brazil
BS Bahamas
BT Bhutan
BV Bouvet Island
BW Botswana
BY Belarus
BZ Belize
CA Canada
CC Cocos (Keeling) Islands
CD Democratic Republic of the Congo
CF Central African Republic
CG Congo
CH Switzerland
CI Cote d'Ivoire
CK Cook Islands
CL Chile
CM Cameroon
CN China
CO Colombia
CR Costa Rica
CU Cuba
CV Cabo Verde
CW Curacao
CX Christmas Island
CY Cyprus
CZ Czechia
DE Germany
DJ Djibouti
DK Denmark
DM Dominica
DO Dominican Republic
DZ Algeria
EC Ecuador
EE Estonia
EG Egypt
EH Western Sahara
ER Eritrea
ES Spain
ET Ethiopia
FI Finland
FJ Fiji
FK Falkland Islands
FM Micronesia
FO Faroe Islands
FR France
GA Gabon
GB United Kingdom
GD Grenada
GE Georgia
GF French Guiana
GG Guernsey
GH Ghana
GI Gibraltar
GL Greenland
GM Gambia
GN Guinea
GP Guadeloupe
GQ Equatorial Guinea
GR Greece
GS South Georgia and the South Sandwich Islands
GT Guatemala
GU Guam
GW Guinea-Bissau
GY Guyana
HK Hong Kong
HM Heard Island and McDonald Islands
HN Honduras
HR Croatia
HT Haiti
HU Hungary
ID Indonesia
IE Ireland
IL Israel
IM Isle of Man
IN India
IO British Indian Ocean Territory
IQ Iraq
IR Iran
IS Iceland
IT Italy
JE Jersey
JM Jamaica
JO Jordan
JP Japan
KE Kenya
KG Kyrgyzstan
KH Cambodia
KI Kiribati
KM Comoros
KN Saint Kitts and Nevis
KP North Korea
KR South Korea
KW Kuwait
KY Cayman Islands
KZ Kazakhstan
LA Laos
LB Lebanon
LC Saint Lucia
LI Liechtenstein
LK Sri Lanka
LR Liberia
LS Lesotho
LT Lithuania
LU Luxembourg
LV Latvia
LY Libya
MA Morocco
MC Monaco
MD Moldova
ME Montenegro
MF Saint Martin
MG Madagascar
MH Marshall Islands
MK North Macedonia
ML Mali
MM Myanmar
MN Mongolia
MO Macao
MP Northern Mariana Islands
MQ Martinique
MR Mauritania
MS Montserrat
MT Malta
MU Mauritius
MV Maldives
MW Malawi
MX Mexico
MY Malaysia
MZ Mozambique
NA Namibia
NC New Caledonia
NE Niger
NF Norfolk Island
NG Nigeria
NI Nicaragua
NL Netherlands
NO Norway
NP Nepal
NR Nauru
NU Niue
NZ New Zealand
OM Oman
PA Panama
PE Peru
PF French Polynesia
PG Papua New Guinea
PH Philippines
PK Pakistan
PL Poland
PM Saint Pierre and Miquelon
PN Pitcairn
PR Puerto Rico
PS Palestine
PT Portugal
PW Palau
PY Paraguay
QA Qatar
RE Reunion
RO Romania
RS Serbia
RU Russia
RW Rwanda
SA Saudi Arabia
SB Solomon Islands
SC Seychelles
SD Sudan
SE Sweden
SG Singapore
SH Saint Helena, Ascension and Tristan da Cunha
SI Slovenia
SJ Svalbard and Jan Mayen
SK Slovakia
SL Sierra Leone
SM San Marino
SN Senegal
SO Somalia
SR Suriname
SS South Sudan
ST Sao Tome and Principe
SV El Salvador
SX Sint Maarten
SY Syria
SZ Eswatini
TC Turks and Caicos Islands
TD Chad
TF French Southern Territories
TG Togo
TH Thailand
TJ Tajikistan
TK Tokelau
TL Timor-Leste
TM Turkmenistan
TN Tunisia
TO Tonga
TR Turkey
TT Trinidad and Tobago
TV Tuvalu
TW Taiwan
TZ Tanzania
UA Ukraine
UG Uganda
UM United States Minor Outlying Islands
US United States
UY Uruguay
UZ Uzbekistan
VA Holy See
VC Saint Vincent and the Grenadines
VE Venezuela
VG British Virgin Islands
VI United States Virgin Islands
VN Vietnam
VU Vanuatu
WF Wallis and Futuna
WS Samoa
XK Kosovo
YE Yemen
YT Mayotte
ZA South Africa
ZM Zambia
ZW Zimbabwe
"""

# Other spellings: official long names (UN, EU), OFAC's "Surname, Given" style, old and misspelt names and the
# nationality adjectives that OFSI and the UN put in nationality fields. Keys are compared case-insensitively.
_OTHER_NAMES = {
    "AE": ["UAE", "U.A.E."],
    "AF": ["Afghan", "Afgan", "Afganistan", "Islamic Republic of Afghanistan"],
    "AU": ["Australian"],
    "BA": [
        "Bosnia",
        "Bosnia-Herzegovina",
        "Bosina-Herzegovina",
        "Bosnian",
        "Bosnia and Herzegovina (Branch)",
    ],
    "BH": ["Bahraini"],
    "BI": ["Burundian"],
    "BN": ["Brunei"],
    "BO": ["Bolivia (Plurinational State of)", "Plurinational State of Bolivia"],
    "BS": ["Bahamas, The", "The Bahamas"],
    "BY": ["Belarusian", "Belrus", "Byelorussian SSR", "Belarusian SSR"],
    "CA": ["Canadian"],
    "CD": [
        "Congo, Democratic Republic of the",
        "Congo (Democratic Republic)",
        "Congo, The Democratic Republic of the",
        "Democratic Republic of Congo",
        "DRC",
        "RDC",
        "D.R. Congo",
        "Congolese (DRC)",
    ],
    "CG": ["Congo, Republic of the", "Republic of the Congo", "Congo-Brazzaville"],
    "CH": ["Swiss"],
    "CI": ["Cote d Ivoire", "Côte d'Ivoire", "Côte d’Ivoire", "Ivory Coast", "Cote D'Ivoire"],
    "CN": ["Chinese", "People's Republic of China", "PRC"],
    "CV": ["Cape Verde"],
    "CZ": ["Czech Republic"],
    "DE": ["German", "Federal Republic of Germany"],
    "DZ": ["Algerian"],
    "EG": ["Egyptian"],
    "ER": ["Eritrean"],
    "ET": ["Ethiopian"],
    "FM": [
        "Micronesia, Federated States of",
        "Micronesia (Federated States of)",
        "Federated States of Micronesia",
    ],
    "FR": ["French"],
    "GB": [
        "United Kingdom of Great Britain and Northern Ireland",
        "UK",
        "U.K.",
        "Great Britain",
        "Britain",
        "British",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
    ],
    "GE": ["Georgian"],
    "GM": ["Gambia, The", "The Gambia"],
    "GW": ["Guinea Bissau"],
    "HK": [
        "China, Hong Kong Special Administrative Region",
        "Hong Kong Special Administrative Region",
        "Hong Kong SAR",
    ],
    "ID": ["Indonesian"],
    "IM": ["Man, Isle of"],
    "IN": ["Indian"],
    "IQ": ["Iraqi"],
    "IR": ["Iran (Islamic Republic of)", "Iran, Islamic Republic of", "Islamic Republic of Iran", "Iranian"],
    "IT": ["Italian"],
    "JO": ["Jordanian"],
    "KM": ["Union of the Comoros", "Comoros Islands"],
    "KN": ["St Kitts and Nevis", "St. Kitts and Nevis", "Saint Christopher and Nevis"],
    "KP": [
        "Korea, North",
        "Democratic People's Republic of Korea",
        "Democratic People’s Republic of Korea",
        "Korea, Democratic People's Republic of",
        "DPRK",
        "RPDC",
        "North Korean",
    ],
    "KR": ["Korea, South", "Republic of Korea", "Korea, Republic of", "South Korean"],
    "KW": ["Kuwaiti"],
    "KZ": ["Kazakh", "Kazakh SSR", "Kazakh Soviet Socialist Republic"],
    "KG": ["Kyrgyz SSR", "Kirghiz SSR", "Kyrgyz Republic"],
    "LA": ["Lao People's Democratic Republic", "Lao PDR"],
    "LB": ["Lebanese"],
    "LY": ["Libyan", "Libyan Arab Jamahiriya", "State of Libya"],
    "MA": ["Moroccan"],
    "MD": [
        "Republic of Moldova",
        "Repubic of Moldova",
        "Moldova, Republic of",
        "Moldovan",
        "Moldavian SSR",
        "Moldovan SSR",
    ],
    "MK": [
        "Macedonia",
        "Macedonia, The Former Yugoslav Republic of",
        "The former Yugoslav Republic of Macedonia",
        "North Macedonia, The Republic of",
        "Republic of North Macedonia",
    ],
    "ML": ["Malian", "Region: Northern Mali"],
    "MM": ["Burma", "Burmese"],
    "MO": ["Macau", "China, Macao Special Administrative Region"],
    "MR": ["Mauritanian"],
    "MY": ["Malaysian"],
    "NG": ["Nigerian"],
    "NL": ["The Netherlands", "Netherlands (Kingdom of the)", "Dutch"],
    "NO": ["Norwegian"],
    "OM": ["Sultanate of Oman", "Omani"],
    "PH": ["Filipino", "the Philippines", "Phillipines"],
    "PK": ["Pakistani"],
    "PS": [
        "State of Palestine",
        "Palestinian",
        "Palestinian Authority",
        "Palestinian Territories",
        "Occupied Palestinian Territories",
        "Occupied Palestinian Territory",
        "Palestine, State of",
        "West Bank",
        "Gaza",
        "Gaza Strip",
        "Region: Gaza",
        "Region: West Bank",
        "West Bank (Palestinian Authority)",
        "Gaza (Palestinian Authority)",
    ],
    "QA": ["Qatari", "Qatarian"],
    "RS": ["Republic of Serbia", "Serbian"],
    "RU": ["Russian Federation", "the Russian Federation", "Russian", "Russian SFSR"],
    "RW": ["Rwandan"],
    "SA": ["Saudi Arabian", "Saudi", "Kingdom of Saudi Arabia"],
    "SD": ["Sudanese", "Sundan"],
    "SE": ["Swedish"],
    "SN": ["Senegalese"],
    "SO": ["Somali"],
    "SY": ["Syrian Arab Republic", "Syrian"],
    "SZ": ["Swaziland"],
    "TL": ["East Timor"],
    "TN": ["Tunisian", "Tunisi"],
    "TR": ["Türkiye", "Turkiye", "Turkish"],
    "TT": ["Trinadad and Tobago"],
    "TW": ["Taiwan, Province of China", "Chinese Taipei"],
    "TZ": ["United Republic of Tanzania", "Tanzania, United Republic of", "Tanzanian"],
    "UA": ["Ukrainian", "Ukaine", "Ukrainian SSR", "Crimea", "Region: Crimea"],
    "UG": ["Ugandan"],
    "US": ["United States of America", "USA", "U.S.A.", "U.S.", "American"],
    "UZ": ["Uzbek", "Uzbekhistan", "Uzbek SSR", "Uzbekistan SSR"],
    "VE": ["Venezuela (Bolivarian Republic of)", "Bolivarian Republic of Venezuela", "Venezuelan"],
    "VG": ["Virgin Islands, British"],
    "VN": ["Viet Nam", "Vietnamese"],
    "YE": ["Yemeni"],
}


def _fold(name: str) -> str:
    """Case, accent, quote and spacing differences never distinguish two countries."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("`", "'")
    return " ".join(text.casefold().split())


COUNTRY_CODES: dict[str, str] = {}
for _line in _ISO_NAMES.strip().splitlines():
    _code, _name = _line.split(" ", 1)
    COUNTRY_CODES[_fold(_name)] = _code
for _code, _names in _OTHER_NAMES.items():
    for _name in _names:
        COUNTRY_CODES[_fold(_name)] = _code

ISO_CODES = frozenset(COUNTRY_CODES.values())

# "Ukrainian SSR (now Ukraine)", "Former USSR, now Belarus": the current country is the one to keep.
_NOW_COUNTRY = re.compile(r"\bnow\s+(?:the\s+)?(?P<country>[^()]+?)\s*\)?\s*$", re.IGNORECASE)
_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*$")


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str | None:
    """ISO alpha-2 code for a country name as written on a list, or None when it is not a known country."""
    if not name:
        return None
    text = name.strip().strip(".;,").strip()
    if not text:
        return None
    if len(text) == 2 and text.upper() in ISO_CODES and text.isalpha():
        return text.upper()
    code = COUNTRY_CODES.get(_fold(text))
    if code:
        return code
    now = _NOW_COUNTRY.search(text)
    if now:
        code = COUNTRY_CODES.get(_fold(now.group("country").strip(" .,")))
        if code:
            return code
    # "Kuwaiti citizenship", "Lebanon citizenship": the country the citizenship is of.
    citizenship = re.fullmatch(
        r"(?P<country>.+?)\s+(?:citizenship|nationality|national)", text, re.IGNORECASE
    )
    if citizenship:
        return country_code(citizenship.group("country"))
    # "Afghanistan (at time of listing)", "Iraq (previous address)": the note does not change the country.
    stripped = _TRAILING_PAREN.sub("", text)
    if stripped and stripped != text:
        return country_code(stripped)
    return None
