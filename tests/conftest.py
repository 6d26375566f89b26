"""Shared fixtures. Nothing here writes outside pytest's temporary folders."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Before anything imports ultralytics: keep its settings out of the home folder
# and never let it reach for the network. The folder goes when the test run ends.
if "YOLO_CONFIG_DIR" not in os.environ:
    os.environ["YOLO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="ydc-yolo-config-")
    atexit.register(shutil.rmtree, os.environ["YOLO_CONFIG_DIR"], ignore_errors=True)
os.environ.setdefault("YOLO_OFFLINE", "1")


def pytest_terminal_summary(terminalreporter):
    """Show how many contract tests ran and passed on each backend."""
    from ydc_cli.persistence import registry

    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if "tests/contract/" not in nodeid:
                continue
            for backend in registry.names():
                if f"[{backend}" in nodeid or f"-{backend}]" in nodeid or f"-{backend}-" in nodeid:
                    counts.setdefault(backend, {}).setdefault(outcome, 0)
                    counts[backend][outcome] += 1
    if counts:
        terminalreporter.write_sep("-", "contract suite per backend")
        for backend, by_outcome in sorted(counts.items()):
            line = ", ".join(f"{n} {outcome}" for outcome, n in sorted(by_outcome.items()))
            terminalreporter.write_line(f"{backend}: {line}")
