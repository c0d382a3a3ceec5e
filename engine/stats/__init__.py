"""Statistics over samples, pure functions: summaries with outliers and intervals (``summary``),
the seeded bootstrap behind every interval (``bootstrap``) and the one rule for what a ratio may
compare (``ratios``)."""
