"""Hostile data.yaml files: nothing in them runs, bombs are refused, odd class names stay names."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.helpers import jpeg
from ydc_cli.domain.datayaml import MAX_YAML_BYTES


def _folder(root: Path, yaml_text: str) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "images" / "train" / "x.jpg").write_bytes(jpeg())
    (root / "labels" / "train" / "x.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text(yaml_text)
    return root


PWNED = "/tmp/ydc-yaml-pwned"
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)
) + "names: *i\ntrain: images/train\n"

REFUSED = {
    "python tag": f"names: [a]\ntrain: images/train\nx: !!python/object/apply:os.system ['touch {PWNED}']\n",
    "python name tag": "names: !!python/name:os.system\ntrain: images/train\n",
    "alias bomb": ALIAS_BOMB,
    "huge file": "names: [a]\ntrain: images/train\n#" + "x" * (MAX_YAML_BYTES + 10) + "\n",
    "not a mapping": "- just\n- a list\n",
    "names not a list": "names: 7\ntrain: images/train\n",
    "broken syntax": "names: [a, b\ntrain: images/train\n",
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_yaml(store, tmp_path, case):
    folder = _folder(tmp_path / "evil", REFUSED[case])
    before = (folder / "data.yaml").read_bytes()
    store.refuses("datasets", "import", folder, code=5)
    assert (folder / "data.yaml").read_bytes() == before
    assert not Path(PWNED).exists()


def test_download_key_is_never_run_nor_exported(store, tmp_path):
    folder = _folder(tmp_path / "dl", f"names: [a]\ntrain: images/train\ndownload: |\n  touch {PWNED}\n")
    store.ok("datasets", "import", folder)
    store.ok("datasets", "export", "dl", "--output", tmp_path / "zips")
    store.ok("datasets", "export", "dl", "--format", "yolo", "--output", tmp_path / "yolo")
    assert not Path(PWNED).exists()
    with zipfile.ZipFile(tmp_path / "zips" / "dl.zip") as archive:
        assert b"download" not in archive.read("dl/data.yaml") and b"touch" not in archive.read("dl/data.yaml")
    exported = yaml.safe_load((tmp_path / "yolo" / "dl" / "data.yaml").read_text())
    assert "download" not in exported and "touch" not in json.dumps(exported)


def test_yes_no_null_stay_class_names(store, tmp_path):
    folder = _folder(tmp_path / "words", "names: [yes, no, null, on, off, ~, 1.0]\ntrain: images/train\n")
    store.ok("datasets", "import", folder)
    info = json.loads(store.ok("--json", "datasets", "info", "words").stdout)
    assert info["classes"] == ["yes", "no", "null", "on", "off", "~", "1.0"]
