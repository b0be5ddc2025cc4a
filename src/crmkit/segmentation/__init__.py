"""Who are the best customers, how concentrated is revenue, whom to treat differently.

RFM summaries and scores, named segments, 80/20 concentration, value tiers
and the value x potential matrix. (Filled by the segmentation issue.)
"""

__all__: list[str] = []
