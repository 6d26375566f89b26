"""Row encodings the database backends share: a dataset's task as two columns."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task


def task_options(task: Task | None) -> str | None:
    """The ``datasets.task_options`` JSON: pose's keypoint layout; None for the other tasks."""
    if task is None:
        return None
    keys = {k: v for k, v in task.yaml_keys().items() if k != "task"}
    return json.dumps(keys, sort_keys=True) if keys else None


def task_from_row(name: str, task: str, options: str | None) -> Task:
    from ydc_cli.domain import tasks

    keys = json.loads(options) if options else {}
    return tasks.make(task, keys.get("kpt_shape"), keys.get("flip_idx"), keys.get("skeleton"), name)
