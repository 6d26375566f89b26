"""YAML read and written safely: ``safe_load`` only, with a size limit."""

from __future__ import annotations

from typing import Any

from ydc_cli.domain.datayaml import MAX_YAML_BYTES
from ydc_cli.domain.errors import InvalidDatasetError

_LITERAL_LOADERS: dict[type, type] = {}


def _literal_loader(base: type) -> type:
    """A safe loader that reads ``yes``, ``no``, ``on``, ``off`` and ``null`` as the text written.

    Class names like ``yes`` or ``null`` must stay names: YAML 1.1 would turn
    them into booleans and None.
    """
    if base not in _LITERAL_LOADERS:
        resolvers = {
            first: [(tag, regexp) for tag, regexp in entries
                    if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")]
            for first, entries in base.yaml_implicit_resolvers.items()
        }
        _LITERAL_LOADERS[base] = type("LiteralLoader", (base,), {"yaml_implicit_resolvers": resolvers})
    return _LITERAL_LOADERS[base]


def parse_yaml(text: bytes | str, source: str, *, literal: bool = False) -> Any:
    """Parse YAML text with the safe loader; nothing in it is ever executed.

    With ``literal``, booleans and nulls are read as the words written (for
    data.yaml, whose class names may be ``yes`` or ``null``).

    Raises:
        InvalidDatasetError: too large, or not valid YAML.
    """
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise InvalidDatasetError(f"YAML file is larger than {MAX_YAML_BYTES:,} bytes ({source})")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if literal:
        loader = _literal_loader(loader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, chosen above
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise InvalidDatasetError(f"invalid YAML ({where})") from None


def dump_yaml(data: Any) -> bytes:
    """Serialise to YAML in file order, strings quoted where YAML would misread them."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True).encode("utf-8")


def parse_prompts(data: Any, source: str) -> dict[int, list[str]]:
    """Read ``{class_id: [prompt, ...]}``; a single string counts as one prompt."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidDatasetError(f"prompts must map class ids to lists of prompts ({source})")
    prompts: dict[int, list[str]] = {}
    for key, value in data.items():
        try:
            class_id = int(key)
        except (TypeError, ValueError):
            raise InvalidDatasetError(f"prompt key {key!r} is not a class id ({source})") from None
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(p, str) for p in items):
            raise InvalidDatasetError(f"prompts of class {class_id} must be a list of strings ({source})")
        prompts[class_id] = list(items)
    return dict(sorted(prompts.items()))
