"""Test-suite configuration shared by every area."""

from __future__ import annotations

import os

from hypothesis import Phase, settings

# CI explores the same examples on every run, so a red build always reproduces;
# local runs keep hypothesis' random exploration to find new edge cases.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
# The mutation run (benchmarks/mutation.py) wants the same examples as CI, and a
# failing example reported at once: shrinking it would only slow each killed mutant.
settings.register_profile(
    "mutation",
    derandomize=True,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
if os.environ.get("CRMKIT_HYPOTHESIS_PROFILE") == "mutation":
    settings.load_profile("mutation")
else:
    settings.load_profile("ci" if os.environ.get("CI") else "dev")
