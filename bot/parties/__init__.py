"""Parties, eligibility, liability, estimates and the money: who pays whom how much."""
