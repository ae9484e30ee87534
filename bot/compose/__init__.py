"""The composition root: the one place that wires the areas together (`wiring.py`), builds
the application (`app.py`), checks a deployment before it runs (`preflight.py`), and the
`kuaipei` command with its demo (`cli.py`, `demo.py`)."""
