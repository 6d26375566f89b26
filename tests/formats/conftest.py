"""Format tests run the real CLI in-process on every backend (the fixtures of tests/cli)."""

from tests.cli.conftest import backend, ydc  # noqa: F401  (fixtures)
