"""Shared fixtures. Nothing here writes outside pytest's temporary folders."""

from __future__ import annotations

import os
import tempfile

# Before anything imports ultralytics: keep its settings out of the home folder
# and never let it reach for the network.
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="ydc-yolo-config-"))
os.environ.setdefault("YOLO_OFFLINE", "1")
