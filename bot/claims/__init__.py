"""The insurer loop: routing, decisions, payout, closing."""
