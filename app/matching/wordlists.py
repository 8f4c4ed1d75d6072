"""The word lists and letter tables of the name rules (app/matching/data/words.json), loaded once.

Each key is named after the constant of :mod:`app.matching.names` that reads it; that module says what each list
is for. Lists are JSON arrays (used as sets), tables JSON objects, ordered rewrites arrays of pairs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORDS_FILE = Path(__file__).resolve().parent / "data" / "words.json"

WORDS: dict[str, Any] = json.loads(WORDS_FILE.read_text(encoding="utf-8"))
