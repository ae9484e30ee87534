"""The layers hold: no import circle in bot/, Telegram only in the transport and the edges,
and the pure rules free of Telegram and the database (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage")
# Where `telegram` may be imported: the transport, the composition root and entry points,
# the handlers, and the local Telegram.
TELEGRAM_ALLOWED = (
    "bot/transport/",
    "bot/compose/app.py",
    "bot/compose/cli.py",
    "bot/compose/demo.py",
    "handlers/",
)
IMPURE = {"telegram", "storage", "sqlmodel", "sqlalchemy"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            found[".".join(parts)] = path
    return found


def _imports(path: Path, name: str) -> set[str]:
    """Modules a file imports at run time (not under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(sub) for sub in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for target in _imports(path, name):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not target.startswith(name + "."):
                deps.add(target)
        graph[name] = deps
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_inside_bot() -> None:
    graph = {k: {d for d in v if d.startswith("bot")} for k, v in _graph().items()}
    bot_graph = {k: v for k, v in graph.items() if k.startswith("bot")}
    assert len(bot_graph) > 80  # the scan sees the package
    assert _circles(bot_graph) == []


def test_the_circle_check_finds_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_telegram_only_in_the_transport_and_at_the_edges() -> None:
    offenders = []
    for name, path in _modules().items():
        rel = str(path.relative_to(ROOT))
        if rel.startswith(TELEGRAM_ALLOWED):
            continue
        if any(i.split(".")[0] == "telegram" for i in _imports(path, name)):
            offenders.append(rel)
    assert offenders == []


def test_pure_rules_import_neither_telegram_nor_the_database() -> None:
    offenders = []
    for name, path in _modules().items():
        if not name.startswith("bot.rules"):
            continue
        bad = {i.split(".")[0] for i in _imports(path, name)} & IMPURE
        if bad:
            offenders.append((name, sorted(bad)))
    assert offenders == []
    assert any(n.startswith("bot.rules.") for n in _modules())


def test_nothing_registers_itself_by_a_side_effect_import() -> None:
    offenders = []
    for name, path in _modules().items():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(("import ", "from ")) and "noqa: F401" in line:
                offenders.append(f"{name}:{lineno}")
    assert offenders == []
