"""Sandbox test fixtures."""
from __future__ import annotations

import pytest

from _spec import validator


@pytest.fixture(scope="session")
def validate(shared_reference):
    """Asserts that an answer validates against a schema of Skatteetaten's v1.5 spec."""
    return validator(shared_reference)
