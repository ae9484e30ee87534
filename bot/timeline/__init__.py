"""The case timeline (/case): who did what when, and how long each step took."""
