"""Test-suite configuration shared by every area."""

from __future__ import annotations

import os

from hypothesis import settings

# CI explores the same examples on every run, so a red build always reproduces;
# local runs keep hypothesis' random exploration to find new edge cases.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
