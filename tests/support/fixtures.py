"""Pytest fixtures shared across the suite (registered by tests/conftest.py)."""

from __future__ import annotations
