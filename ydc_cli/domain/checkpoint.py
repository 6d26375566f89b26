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


# ultralytics' model classes (ultralytics.nn.tasks) and the task each one does
MODEL_TASKS = {
    "DetectionModel": "detect", "SegmentationModel": "segment", "OBBModel": "obb", "PoseModel": "pose",
    "ClassificationModel": "classify", "WorldModel": "detect", "YOLOEModel": "detect", "YOLOESegModel": "segment",
    "RTDETRDetectionModel": "detect", "SemanticSegmentationModel": "semantic", "DepthModel": "depth",
}
_MODULE = "ultralytics.nn.tasks"
_STRINGS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING",
                      "STRING"})


def checkpoint_task(file: BinaryIO, where: str) -> str | None:
    """The ultralytics task (detect, segment, obb, pose, classify...) of a checkpoint read from ``file``.

    The task is the class of the first ultralytics model the pickle names (a
    checkpoint's ``model`` comes before its ``ema``). The pickle's opcodes are
    walked (``pickletools.genops``), never run. None when no known model class
    is named: weights of another framework, or a model class newer than this table.
A task is known without loading the model, so a model of the wrong task is
refused before anything starts.

    Raises:
        InvalidCheckpointError: naming ``where``, when it is not a PyTorch checkpoint at all.
    """
    kind = check_checkpoint(file, where)
    file.seek(0)
    try:
        if kind == "zip":
            with zipfile.ZipFile(file) as archive:
                member = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/data.pkl"))
                with archive.open(member) as stream:
                    return _first_model_task(stream, pickles=1)
        return _first_model_task(file, pickles=4)  # legacy: magic, protocol, system info, then the object
    except (ValueError, EOFError, zipfile.BadZipFile, OSError) as exc:
        raise InvalidCheckpointError(f"not a PyTorch checkpoint: an unreadable pickle, {exc} ({where})") from None


def _first_model_task(stream: BinaryIO, pickles: int) -> str | None:
    import pickletools

    for _ in range(pickles):
        memo: dict[int, object] = {}
        strings: list[object] = []  # what the last opcodes pushed, as far as a module and class name go
        for opcode, argument, _ in pickletools.genops(stream):
            name = opcode.name
            if name in _STRINGS:
                strings.append(argument.decode("latin-1") if isinstance(argument, bytes) else argument)
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                strings.append(memo.get(int(argument)))
            elif name in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
                top = strings[-1] if strings else None
                memo[len(memo) if name == "MEMOIZE" else int(argument)] = top
                continue
            else:
                strings.append(None)
            if name == "GLOBAL":
                module, _, cls = str(argument).partition(" ")
            elif name == "STACK_GLOBAL" and len(strings) >= 3:
                module, cls = strings[-3], strings[-2]
            else:
                continue
            if module == _MODULE and cls in MODEL_TASKS:
                return MODEL_TASKS[str(cls)]
            del strings[:-8]
    return None
