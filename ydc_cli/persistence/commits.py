"""Commit points: the step at which a command's change becomes durable and visible.

Ctrl-C and SIGTERM stop a command only before its commit point: everything
half-done rolls back and the exit code (130 / 143) says nothing changed. From
the commit point on the change is in the store, so an interrupt is remembered
instead and the command runs to its end: the exit code (0) matches the store.

The stores wrap the step that commits (SQLite's ``COMMIT``, the rename that
makes a staged dataset visible, a journal's commit marker, a registry
replace) in ``point()``. The CLI's signal handlers ask ``shielded()`` and, when
it is true, ``defer`` the signal. Python runs signal handlers between
bytecodes of the main thread, so a signal that arrives while the commit step
runs is handled after it: by then the step either committed (the signal is
deferred) or failed (it is raised once the step is left).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_committed = False
_inside = 0
_deferred: list[int] = []


def reset() -> None:
    """Forget earlier commands' state (the CLI calls it as each command starts)."""
    global _committed, _inside
    _committed = False
    _inside = 0
    _deferred.clear()


def committed() -> bool:
    """True once this command has committed a change."""
    return _committed


def shielded() -> bool:
    """True while a commit step runs or after one finished: an interrupt must wait."""
    return _committed or _inside > 0


def defer(signum: int) -> None:
    """Remember a signal that arrived while shielded."""
    _deferred.append(signum)


def deferred() -> list[int]:
    """Signals that arrived while shielded, in order."""
    return list(_deferred)


@contextlib.contextmanager
def point() -> Iterator[None]:
    """Run the commit step; when it succeeds, the command has committed.

    When the step fails, nothing was committed: its error propagates (and
    decides the exit code), and a signal deferred meanwhile changes nothing.
    """
    global _committed, _inside
    _inside += 1
    try:
        yield
        _committed = True
    finally:
        _inside -= 1
