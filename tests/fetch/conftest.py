"""The fetch tests' server: a LocalServer (tests/support/local_server.py) started for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.local_server import LocalServer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    owner = LocalServer.start()
    try:
        yield owner
    finally:
        owner.close()
