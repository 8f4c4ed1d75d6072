"""Build and save the match index of the current snapshots, then exit: what an API process's index keeper runs.

    python -m app.matching.build '[["ofac_sdn", 12, "<sha256>", "<applied at>"], ...]'

The argument (JSON) names the snapshots of the index the caller holds: the new index starts from its saved file and
re-reads only what changed since. See app.matching.live.
"""

from __future__ import annotations

import json
import os
import sys

from app.db import session_scope
from app.matching import live

# The builder gives way to the processes that answer requests on the same cores (it is the API's own child).
BUILDER_NICENESS = 10


def main(argv: list[str]) -> int:
    os.nice(BUILDER_NICENESS)
    previous = tuple(tuple(mark) for mark in json.loads(argv[1])) if len(argv) > 1 else ()
    with session_scope() as session:
        print(live.save_current(session, previous))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
