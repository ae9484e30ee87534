"""The insurer loop (issue 6, points 2-5): routing, decisions, payout, closing."""
