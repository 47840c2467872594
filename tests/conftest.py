"""Fixtures every level shares. Each level adds its own in its conftest:

- unit/: no AWS at all (a unit test that reaches for a client fails);
- integration/: moto built from the template, feed and network servers;
- e2e/: the same, for commands and handlers run whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import make_config


@pytest.fixture
def config_factory() -> Callable[..., Any]:
    return make_config
