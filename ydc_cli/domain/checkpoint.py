"""What a PyTorch checkpoint looks like from outside, checked without unpickling it.

``torch.save`` writes a zip archive holding one top-level folder with a
``data.pkl`` (the pickled object graph) beside the tensor data; before
PyTorch 1.6 it wrote a bare pickle stream that begins with protocol 2 and a
fixed magic number. Anything else (a text file, a ZIP of something else, an
ONNX model, a truncated download) is refused before it is stored, so a later
``YOLO(weights)`` never meets it. The pickle itself is never read: loading it
runs code, which is the framework's business, not the registry's.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

from ydc_cli.domain.errors import InvalidCheckpointError

# pickle protocol 2, then the long 0x1950a86a20f9469cfc6c that torch's legacy format dumps first.
LEGACY_MAGIC = b"\x80\x02\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little")
ZIP_MAGIC = b"PK\x03\x04"


def check_checkpoint(file: BinaryIO, where: str) -> str:
    """Return ``"zip"`` or ``"legacy"`` for a PyTorch checkpoint read from ``file`` (seekable, binary).

    Raises:
        InvalidCheckpointError: naming ``where``, when it is anything else.
    """
    head = file.read(len(LEGACY_MAGIC))
    if head == LEGACY_MAGIC:
        return "legacy"
    if not head.startswith(ZIP_MAGIC):
        raise InvalidCheckpointError(f"not a PyTorch checkpoint: expected a torch.save zip or pickle ({where})")
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InvalidCheckpointError(f"not a PyTorch checkpoint: a damaged zip, {exc} ({where})") from None
    roots = {name.split("/", 1)[0] for name in names}
    pickles = [name for name in names if name.count("/") == 1 and name.endswith("/data.pkl")]
    if len(roots) != 1 or len(pickles) != 1:
        raise InvalidCheckpointError(f"not a PyTorch checkpoint: a zip without one */data.pkl ({where})")
    return "zip"
