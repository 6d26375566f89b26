"""A PyTorch checkpoint is told from anything else without unpickling it; torch.save is the oracle."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.helpers import checkpoint
from ydc_cli.domain.checkpoint import check_checkpoint
from ydc_cli.domain.errors import InvalidCheckpointError


def test_what_torch_save_writes_is_a_checkpoint(tmp_path):
    import torch  # the train extra, part of `make test`
    modern, legacy = tmp_path / "modern.pt", tmp_path / "legacy.pt"
    torch.save({"model": torch.zeros(3)}, modern)
    torch.save({"model": torch.zeros(3)}, legacy, _use_new_zipfile_serialization=False)
    with open(modern, "rb") as file:
        assert check_checkpoint(file, "modern.pt") == "zip"
    with open(legacy, "rb") as file:
        assert check_checkpoint(file, "legacy.pt") == "legacy"
    # The test helper writes the same shape, so tests elsewhere need no torch.
    with zipfile.ZipFile(modern) as real, zipfile.ZipFile(checkpoint(tmp_path / "fake.pt")) as fake:
        shape = {name.split("/", 1)[1] for name in fake.namelist()}
        assert shape <= {name.split("/", 1)[1] for name in real.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "says"), [
    (b"", "not a PyTorch checkpoint"),
    (b"fake weights for the registry", "not a PyTorch checkpoint"),
    (b"\x80\x04\x95 a pickle, but not torch's", "not a PyTorch checkpoint"),
    (b"\x08\x01\x12\x04onnx", "not a PyTorch checkpoint"),
    (_zip({"model.onnx": b"x"}), "without one */data.pkl"),
    (_zip({"a/data.pkl": b"x", "b/data.pkl": b"x"}), "without one */data.pkl"),
    (_zip({"data.pkl": b"x"}), "without one */data.pkl"),
    (b"PK\x03\x04 the start of a zip and nothing more", "damaged zip"),
    (_zip({"a/data.pkl": b"x" * 1000})[:200], "damaged zip"),
])
def test_anything_else_is_refused(data, says):
    with pytest.raises(InvalidCheckpointError, match=says.replace("*", r"\*")) as refused:
        check_checkpoint(io.BytesIO(data), "w.pt")
    assert str(refused.value).endswith("(w.pt)")
