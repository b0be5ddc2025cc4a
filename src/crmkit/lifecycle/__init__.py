"""Customer lifecycle state machines, stage classification and migration analytics.

(Filled by the lifecycle issue.)
"""

__all__: list[str] = []
