"""Raw publication bytes: packing a file or a folder into one deterministic blob, and unpacking it again.

A folder (the OFAC CSV set) becomes a zip with sorted names and fixed timestamps, so the same files always give the
same bytes and the same SHA-256; a single file is kept as it is. Either is stored gzip-compressed, once per SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.lists.models import RawBlob

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# A publication folder holds a handful of list files; anything bigger than this is not one.
MAX_FOLDER_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class RawPublication:
    raw: bytes
    sha256: str
    filename: str  # the name to restore it under: the original file name, or "<folder>.zip" for a folder


def pack(path: Path) -> RawPublication:
    if path.is_dir():
        buffer = io.BytesIO()
        total = 0
        # Members are stored, not deflated: the blob is gzip-compressed when it is kept anyway, and this packing
        # runs on every check of a publication, including the many that only find the same bytes again. Deflating
        # here cost more than the check itself and tied the SHA-256 to the zlib version in use.
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for member in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
                data = member.read_bytes()
                total += len(data)
                if total > MAX_FOLDER_BYTES:
                    raise ValueError(
                        f"{path} holds more than {MAX_FOLDER_BYTES} bytes: not a list publication"
                    )
                info = zipfile.ZipInfo(member.name, FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, data)
        raw = buffer.getvalue()
        filename = f"{path.name or 'publication'}.zip"
    else:
        raw = path.read_bytes()
        filename = path.name
    return RawPublication(raw=raw, sha256=hashlib.sha256(raw).hexdigest(), filename=filename)


def store(session: Session, publication: RawPublication) -> RawBlob:
    blob = session.get(RawBlob, publication.sha256)
    if blob is None:
        blob = RawBlob(
            sha256=publication.sha256,
            size=len(publication.raw),
            compression="gzip",
            data=gzip.compress(publication.raw, compresslevel=6, mtime=0),
        )
        session.add(blob)
        session.flush()
    elif blob.data is None:  # pruned earlier by retention; the same bytes came back
        blob.data = gzip.compress(publication.raw, compresslevel=6, mtime=0)
    return blob


def restore(session: Session, sha256: str, filename: str, dest_dir: Path) -> Path:
    """Write a stored publication back to disk (a zip stays a zip: the parsers read zips)."""
    data = session.scalar(select(RawBlob.data).where(RawBlob.sha256 == sha256))
    if data is None:
        raise FileNotFoundError(f"the raw bytes of {sha256[:12]} are not kept any more (retention)")
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / filename
    with gzip.open(io.BytesIO(data)) as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target
