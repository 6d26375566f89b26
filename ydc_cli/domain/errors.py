"""The ydc error hierarchy.

Every error a user can cause is one of these, so the CLI maps them to exit
codes in one place: each class carries its exit code and the ``code`` of the
JSON error object. Each also subclasses the builtin exception the persistence
contract documents, so code written against the seed's contract
(``except ValueError``, ``except FileNotFoundError``) keeps working::

    YdcError                                        exit 1  failed
    ├── ChecksFailedError                           exit 1  checks_failed
    ├── ConfirmationRequiredError                   exit 1  confirmation_required
    ├── CancelledError                              exit 1  cancelled
    ├── UsageError             (ValueError)         exit 2  usage
    ├── NotFoundError          (FileNotFoundError)  exit 3  not_found
    ├── ConflictError          (ValueError)         exit 4  conflict
    ├── InvalidInputError      (ValueError)         exit 5  invalid_input
    │   ├── InvalidNameError
    │   ├── InvalidLabelError
    │   ├── InvalidImageError
    │   ├── InvalidDatasetError
    │   ├── InvalidCheckpointError
    │   └── UnsafeArchiveError
    ├── StorageError           (OSError)            exit 6  storage_unavailable
    │   └── StorageBusyError
    ├── CommandInterruptedError                     exit 130 interrupted (Ctrl-C)
    └── CommandTerminatedError                      exit 143 terminated (SIGTERM)

Commands raise these (or hand them to ``runner.fail``); no command writes an
exit code of its own.
"""

from __future__ import annotations


class YdcError(Exception):
    """Base of every error ydc raises on purpose."""

    exit_code = 1
    code = "failed"


class ChecksFailedError(YdcError):
    """A check found errors it has already reported (``validate``): exit 1 with no further line."""

    code = "checks_failed"


class ConfirmationRequiredError(YdcError):
    """A destructive command needs --yes and there is no terminal to ask."""

    code = "confirmation_required"


class CancelledError(YdcError):
    """The user answered no to a confirmation."""

    code = "cancelled"


class UsageError(YdcError, ValueError):
    """Arguments that cannot be right together (shares that do not sum to 1, a pattern matching nothing)."""

    exit_code = 2
    code = "usage"


class NotFoundError(YdcError, FileNotFoundError):
    """A dataset, image, label, model or file does not exist."""

    exit_code = 3
    code = "not_found"


class ConflictError(YdcError, ValueError):
    """Something with that name already exists."""

    exit_code = 4
    code = "conflict"


class InvalidInputError(YdcError, ValueError):
    """Input refused because it is malformed or unsafe."""

    exit_code = 5
    code = "invalid_input"


class InvalidNameError(InvalidInputError):
    """A dataset, model, class or file name that cannot be stored safely."""


class InvalidLabelError(InvalidInputError):
    """A YOLO label line that is not ``class x y w h`` with valid values."""

    def __init__(self, message: str, *, source: str = "", line: int = 0) -> None:
        self.source = source
        self.line = line
        where = f"{source}:{line}" if source and line else source or (f"line {line}" if line else "")
        super().__init__(f"{message} ({where})" if where else message)


class InvalidImageError(InvalidInputError):
    """Bytes that are not an allowed, complete image of a bounded size."""


class InvalidDatasetError(InvalidInputError):
    """A dataset description (data.yaml, archive layout) that cannot be read."""


class InvalidCheckpointError(InvalidInputError):
    """A weights file that is not a PyTorch checkpoint, or one the framework cannot load."""


class UnsafeArchiveError(InvalidInputError):
    """An archive member that would escape, overwrite or exhaust the store."""


class StorageError(YdcError, OSError):
    """The store cannot be read or written: I/O error, full disk, read-only."""

    exit_code = 6
    code = "storage_unavailable"


class StorageBusyError(StorageError):
    """Another process held the store's lock past the timeout."""


class CommandInterruptedError(YdcError):
    """Ctrl-C before the command's commit point: nothing changed."""

    exit_code = 130
    code = "interrupted"


class CommandTerminatedError(YdcError):
    """SIGTERM before the command's commit point: nothing changed."""

    exit_code = 143
    code = "terminated"
