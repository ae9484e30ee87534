"""Service levels at work: the sweep that fires due ladder steps, acknowledgements, the
clocks on the card, and /overdue (docs/domain.md §6.1)."""
