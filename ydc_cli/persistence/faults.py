"""Named fault points, for the crash tests: off unless an environment variable names one.

``YDC_KILL_AT=<point>`` kills the process with SIGKILL when it reaches that
point; ``YDC_PAUSE_AT=<point>`` writes ``$YDC_PAUSE_FILE`` there and sleeps,
so that a test can send SIGINT or SIGTERM at a known moment. The points sit
where a crash is worst: after everything is staged and before it is made
visible, and in the middle of applying a committed change::

    dataset-staged     a new filesystem dataset complete in staging, not yet renamed into place
    journal-staged     a filesystem change staged, before its commit marker
    journal-committed  right after the marker
    journal-applying   half-way through applying a committed change
    sqlite-commit      a SQLite transaction just before COMMIT
    sqlite-committed   just after COMMIT
    pg-commit          an s3 backend transaction just before COMMIT (its blobs already uploaded)
    pg-committed       just after that COMMIT
    replace            a single file written and synced, before os.replace (registry, label, export zip)
    trashed            a deleted folder renamed to trash, before it is removed
    closing            a command's store work done, as the stores close
    epoch-end          a training epoch finished and its last.pt saved
"""

from __future__ import annotations

import os
import signal
import time

_KILL_AT = os.environ.get("YDC_KILL_AT")
_PAUSE_AT = os.environ.get("YDC_PAUSE_AT")


def point(name: str) -> None:
    """A place a crash test may stop the process (a no-op in normal use)."""
    if _KILL_AT == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if _PAUSE_AT == name:
        from ydc_cli.persistence import commits

        with open(os.environ["YDC_PAUSE_FILE"], "w") as marker:
            marker.write(str(os.getpid()))
        # Until a signal: one that interrupts raises out of the sleep; one deferred past a commit ends the pause.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not commits.deferred():
            time.sleep(0.02)
