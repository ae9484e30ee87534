"""`python -m bench`: Kuaipei's benchmarks in one run, printed as one table.

Sections (`--only a,b`): latency (a bare python-telegram-bot bot vs `kuaipei run`, each
its own process against one sandbox process; bench/latency.py), album (first photo →
card; bench/album_latency.py), photo (a 12-megapixel JPEG's intake vs a full decode;
bench/photo_ingest.py), sweep (the SLA sweep, small vs large store; bench/sla_sweep.py),
messages (messages per standard case, from `bench/messages.py` when it exists), and
digest (the liaison office's reports; bench/liaison.py, only when asked for: it builds
large stores). `--quick` shrinks every section for a smoke run.

    python -m bench [--only latency,album] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Row = tuple[str, str, str, str]
DEFAULT = ("latency", "album", "photo", "sweep", "messages")
ALL = (*DEFAULT, "digest")


def latency(quick: bool) -> list[Row]:
    """Update → reply p50/p99 and a burst, bare bot vs Kuaipei."""
    from bench import latency as lat

    sizes = lat.Sizes(rounds=40, repetitions=1, burst=60) if quick else lat.Sizes()
    rows = lat.rows(lat.measure(sizes))
    what = f"{sizes.rounds} rounds × {sizes.repetitions}, burst {sizes.burst}"
    return [(f"{m} ({what})" if i == 0 else m, b, k, r) for i, (m, b, k, r) in enumerate(rows)]


def album(quick: bool) -> list[Row]:
    """First photo → card visible (median), albums of 6."""
    from bench.album_latency import TOKEN, bench
    from bot.config.logs import configure_logging

    configure_logging("WARNING", secrets=[TOKEN])
    albums = 3 if quick else 10
    with tempfile.TemporaryDirectory(prefix="kuaipei-bench-") as tmp:
        f = asyncio.run(bench(albums, 6, None, Path(tmp), quiet=True))
    return [
        (
            f"album: first photo → card ({albums} albums of 6)",
            "",
            f"{f['first_to_card_ms']:.0f} ms",
            "",
        ),
        ("album: last photo → card shows 6", "", f"{f['last_to_final_ms']:.0f} ms", ""),
        ("album: 429s drawn", "", f"{f['limited']:.0f}", ""),
    ]


def photo(quick: bool) -> list[Row]:
    """A 12-megapixel JPEG: Kuaipei's intake against a naive full decode."""
    from bench.photo_ingest import measure

    r = measure(5 if quick else 20)
    ms, mem = r["median_ms"], r["memory"]
    return [
        (
            "photo intake, 12 MP JPEG (naive decode / Kuaipei)",
            f"{ms['naive']:.0f} ms",
            f"{ms['fast']:.0f} ms",
            f"{r['ratio']['naive']:.1f}× faster",
        ),
        (
            "photo intake, peak memory growth",
            f"{mem['naive']['rss_growth_mb']:.0f} MB",
            f"{mem['fast']['rss_growth_mb']:.0f} MB",
            "",
        ),
    ]


def _script(name: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return out.stdout


def sweep(quick: bool) -> list[Row]:
    """The SLA sweep's median against the store's size."""
    small, large = ("2000", "20000") if quick else ("10000", "200000")
    out = _script("sla_sweep.py", "--small", small, "--large", large, "--runs", "5")
    ratio = re.search(r"ratio large/small: median ([\d.]+)", out)
    slowest = re.search(r"slowest median sweep: ([\d.]+) ms", out)
    return [
        (
            f"SLA sweep, {int(small):,} vs {int(large):,} cases (slowest median / ratio)",
            "",
            f"{slowest.group(1)} ms" if slowest else "?",
            f"{ratio.group(1)}" if ratio else "?",
        )
    ]


def digest(quick: bool) -> list[Row]:
    """The liaison office's reports; bench/liaison.py prints its own table below."""
    if quick:
        return [("digest", "", "(full run only: it builds large stores)", "")]
    print(_script("liaison.py"))
    return [("digest: see bench/liaison.py's table above", "", "", "")]


def messages(quick: bool) -> list[Row]:
    """Messages per standard case: the hook for bench/messages.py (`rows(quick)`)."""
    try:
        module = importlib.import_module("bench.messages")
    except ModuleNotFoundError:
        return [("messages per standard case", "", "(bench/messages.py not yet)", "")]
    rows: list[Row] = module.rows(quick)
    return rows


SECTIONS: dict[str, Callable[[bool], list[Row]]] = {
    "latency": latency,
    "album": album,
    "photo": photo,
    "sweep": sweep,
    "messages": messages,
    "digest": digest,
}


def table(rows: list[Row]) -> str:
    """A Markdown table, as the README shows it."""
    head: Row = ("measure", "bare PTB bot", "Kuaipei", "ratio")
    lines = [f"| {' | '.join(head)} |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default=",".join(DEFAULT), help=f"sections, comma-separated: {', '.join(ALL)}"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(ALL)}")
    rows: list[Row] = []
    began = time.perf_counter()
    for name in chosen:
        print(f"[{time.perf_counter() - began:6.1f} s] {name} …", file=sys.stderr, flush=True)
        rows += SECTIONS[name](args.quick)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
