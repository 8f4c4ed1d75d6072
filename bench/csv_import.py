"""How long reading a 10,000-row candidates CSV takes, with and without a row whose quote never closes.

An unclosed quote makes the reader look ahead for its closing quote, then read the lines after it on their own: this
shows that costs one pass over the file, not one per row. Run: .venv/bin/python bench/csv_import.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.targets.bulk import MAX_ROWS, parse_rows  # noqa: E402 - after the path set-up above

HEADER = "kind,name,aliases,birth_dates,nationalities\n"
ROWS = "".join(f"person,Candidate number {i},,,IQ\n" for i in range(MAX_ROWS - 1))
CASES = {
    f"{MAX_ROWS:,} rows": (HEADER + ROWS).encode(),
    f"{MAX_ROWS:,} rows, an unclosed quote on line 2": (
        HEADER + 'person,"Unclosed quote,,,IQ\n' + ROWS
    ).encode(),
}


def main(repeats: int = 5) -> None:
    for label, data in CASES.items():
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            rows = parse_rows(data, "csv")
            best = min(best, time.perf_counter() - started)
        rejected = sum(isinstance(record, Exception) for _, record in rows)
        print(
            f"{label}: {len(rows):,} rows read, {rejected} rejected, best of {repeats}: {best * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
