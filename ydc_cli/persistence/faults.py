"""Named fault points, for the crash tests: off unless an environment variable names one.

``YDC_KILL_AT=<point>`` kills the process with SIGKILL when it reaches that
point; ``YDC_PAUSE_AT=<point>`` writes ``$YDC_PAUSE_FILE`` there and sleeps,
so that a test can send SIGINT or SIGTERM at a known moment. The points sit
where a crash is worst: after everything is staged and before it is made
visible, and in the middle of applying a committed change.
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
