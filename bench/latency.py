"""Update → reply latency and burst throughput: a bare python-telegram-bot bot vs `kuaipei run`.

Three kinds of process: one sandbox (`python -m sandbox.cli`, Telegram's flood limits on),
and, one at a time against it, the bare bot (`bench/bare_bot.py`) and `kuaipei run`,
alternated so that both see the same machine. The driver acts as people through the
sandbox's control API. Each run is a number of sequential private-chat `/help` rounds
(paced below Telegram's 30 messages a second, so the limiter never holds a reply back),
then a burst of `/help` from as many people at once.

Latency is read off the sandbox's own clock: from when the update became available to the
bot (`update_log`) to when the reply's sendMessage call arrived (`calls`), so neither the
driver's own HTTP calls nor its scheduling count.

Beside it, the CPU time the bot process spent per sequential round (user + system, from
/proc/<pid>/stat before and after the rounds). On a shared machine the wall-clock figures
swing with the load, which multiplies each process's CPU work; the CPU per update holds
still, so it is the figure to cut.

    python -m bench --only latency [--quick]
    python -m bench.latency --baseline ../other-checkout   # that checkout's bot as a third

`--baseline` runs another checkout's `kuaipei run` (its own code, this environment) in the
same alternation, to hold a change against the code before it on the same machine load.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.client import SandboxClient

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424243:BENCH-latency"
BOTS = ("bare", "kuaipei")
# Where the bots' output goes (kept after the run, for when one does not start).
LOGS = Path(tempfile.gettempdir()) / "kuaipei-bench-logs"


@dataclass
class Sizes:
    """How much one latency section does."""

    rounds: int = 200
    repetitions: int = 2
    burst: int = 300
    # Seconds between the starts of two sequential rounds: 20 a second stays under the
    # overall 30 a second, so what is measured is the bot, not the limiter.
    pace: float = 0.05


@dataclass
class Figures:
    """One bot's measurements, summed over its runs."""

    latencies_ms: list[float] = field(default_factory=list)
    burst_rates: list[float] = field(default_factory=list)
    limited: int = 0
    # CPU milliseconds per sequential round, one figure per run; None where /proc is missing.
    cpu_ms: list[float] = field(default_factory=list)
    # The 1-minute load average at the start of each run, to read the figures against.
    loads: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        """The q-th percentile (nearest rank) of the latencies."""
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs)) - 1))]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (None without /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from its end.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    """The 1-minute load average (0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


@contextlib.contextmanager
def sandbox_process() -> Iterator[tuple[SandboxClient, dict[str, str]]]:
    """`python -m sandbox.cli` in a process of its own; its client and the bot settings."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.cli", "--token", TOKEN, "--bot-username", "kuaipei_bot"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    env: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("sandbox running"):
                break
            key, _, value = line.strip().partition("=")
            env[key] = value
        with SandboxClient(env["SANDBOX_CONTROL_URL"]) as client:
            yield client, env
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def help_text() -> str:
    """Kuaipei's /help text, which the bare bot sends too (the same length and HTML)."""
    from bot.compose import wiring
    from bot.kernel.texts import t

    wiring.install_texts()
    return t("help", "zh")


def bot_command(which: str, env: dict[str, str], workdir: Path, profile: Path | None) -> list[str]:
    """The command line of one bot process."""
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", str(profile)]
    if which == "bare":
        return [
            *prefix,
            "-m",
            "bench.bare_bot",
            "--base-url",
            env["TELEGRAM_API_BASE_URL"],
            "--token",
            TOKEN,
            "--text-file",
            str(workdir / "help.html"),
        ]
    return [*prefix, "-m", "bot.compose.cli", "run"]


def bot_env(env: dict[str, str], workdir: Path) -> dict[str, str]:
    """Kuaipei's settings for the sandbox: a SQLite file of its own, the example county."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("HEALTH_PORT", "WEBHOOK_URL")}
    return {
        **inherited,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": env["TELEGRAM_API_BASE_URL"],
        "TELEGRAM_FILE_BASE_URL": env["TELEGRAM_FILE_BASE_URL"],
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
        or f"sqlite:///{workdir / 'kuaipei.db'}",
        "KUAIPEI_CONFIG": str(ROOT / "kuaipei.example.yaml"),
        "MEDIA_DIR": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
    }


class Driver:
    """Acts as the people: sends /help, waits for the answers, reads the clocks."""

    def __init__(self, client: SandboxClient, sizes: Sizes) -> None:
        self.client = client
        self.sizes = sizes
        self.people = [client.create_user(f"用户{i}") for i in range(max(10, sizes.burst))]
        for uid in self.people:
            client.create_chat("private", members=[uid])
        self.replies: dict[int, int] = dict.fromkeys(self.people, 0)

    def ask(self, cid: int) -> None:
        """One person sends /help; expect one more reply in their chat."""
        self.client.send_text(cid, cid, "/help")
        self.replies[cid] += 1

    def wait(self, cid: int, timeout: float = 30.0) -> None:
        """Until every expected reply of the chat is there."""
        self.client.call("await_bot_messages", cid=cid, count=self.replies[cid], timeout=timeout)

    def marks(self) -> tuple[int, int]:
        """Where the update log and the call log stand now."""
        return len(self.client.call("update_log")), len(self.client.call("calls"))

    def replies_since(self, marks: tuple[int, int]) -> list[tuple[float, float]]:
        """(update available, reply call arrived) per update since `marks`, in order."""
        updates = self.client.call("update_log", start=marks[0])
        sends = self.client.call("calls", start=marks[1], method="sendMessage")
        by_chat: dict[int, list[float]] = {}
        for call in sends:
            if call["status"] == 200:
                by_chat.setdefault(int(call["params"]["chat_id"]), []).append(call["at"])
        pairs = []
        for update in updates:
            answered = by_chat.get(update["chat_id"]) or []
            if not answered:
                raise RuntimeError(f"update {update['update_id']} got no reply")
            pairs.append((update["at"], answered.pop(0)))
        return pairs

    def polls(self) -> int:
        """How many getUpdates calls the sandbox has seen."""
        return len(self.client.call("calls", method="getUpdates"))

    def warm_up(
        self, polls_before: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 120.0
    ) -> None:
        """Once the new bot polls, a few rounds nobody measures."""
        deadline = time.monotonic() + timeout
        while self.polls() <= polls_before:
            if time.monotonic() > deadline or (proc is not None and proc.poll() is not None):
                raise TimeoutError(f"the bot did not start polling; see {LOGS}")
            time.sleep(0.2)
        for cid in self.people[:3]:
            self.ask(cid)
            self.wait(cid, timeout=120.0)

    def sequential(self, figures: Figures, pid: int | None = None) -> None:
        """Rounds one after another, each waiting for its answer; with `pid`, the bot's CPU
        time per round too."""
        marks = self.marks()
        cpu_before = cpu_seconds(pid) if pid is not None else None
        for i in range(self.sizes.rounds):
            began = time.perf_counter()
            cid = self.people[i % 10]
            self.ask(cid)
            self.wait(cid)
            time.sleep(max(0.0, self.sizes.pace - (time.perf_counter() - began)))
        cpu_after = cpu_seconds(pid) if pid is not None else None
        if cpu_before is not None and cpu_after is not None:
            figures.cpu_ms.append(1000 * (cpu_after - cpu_before) / self.sizes.rounds)
        figures.latencies_ms += [1000 * (r - u) for u, r in self.replies_since(marks)]

    def burst(self, figures: Figures) -> None:
        """Everyone at once; replies per second from the first update to the last reply."""
        time.sleep(2.0)  # the overall bucket refills after the sequential rounds
        limited = self.client.rate_limited()
        marks = self.marks()
        people = self.people[: self.sizes.burst]
        for cid in people:
            self.ask(cid)
        for cid in people:
            self.wait(cid, timeout=120.0)
        pairs = self.replies_since(marks)
        span = max(r for _, r in pairs) - min(u for u, _ in pairs)
        figures.burst_rates.append(len(pairs) / span)
        figures.limited += self.client.rate_limited() - limited


def run_bot(
    which: str,
    driver: Driver,
    env: dict[str, str],
    workdir: Path,
    figures: Figures,
    profile: Path | None = None,
    baseline: Path | None = None,
) -> None:
    """Start one bot, measure it, stop it (`baseline`: the other checkout's Kuaipei)."""
    polls = driver.polls()
    LOGS.mkdir(exist_ok=True)
    log = (LOGS / f"{which}.log").open("a")
    # `python -m` imports from the working directory first: the baseline runs its own code.
    cwd = baseline if which == "baseline" and baseline is not None else ROOT
    proc = subprocess.Popen(
        bot_command("kuaipei" if which == "baseline" else which, env, workdir, profile),
        cwd=cwd,
        env=bot_env(env, workdir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        driver.warm_up(polls, proc)
        figures.loads.append(load_average())
        driver.sequential(figures, proc.pid)
        driver.burst(figures)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    time.sleep(1.0)  # let the limits refill before the other bot


def measure(
    sizes: Sizes, profile_dir: Path | None = None, baseline: Path | None = None
) -> dict[str, Figures]:
    """Both bots (and the baseline's), alternated (ABBA…), against one sandbox process."""
    bots = (*BOTS, "baseline") if baseline is not None else BOTS
    figures = {which: Figures() for which in bots}
    with tempfile.TemporaryDirectory(prefix="kuaipei-latency-") as tmp:
        workdir = Path(tmp)
        (workdir / "help.html").write_text(help_text(), encoding="utf-8")
        with sandbox_process() as (client, env):
            driver = Driver(client, sizes)
            for rep in range(sizes.repetitions):
                order = bots if rep % 2 == 0 else bots[::-1]
                for which in order:
                    profile = None
                    if profile_dir is not None:
                        profile = profile_dir / f"{which}-{rep}.prof"
                    run_bot(which, driver, env, workdir, figures[which], profile, baseline)
    return figures


def rows(figures: dict[str, Figures]) -> list[tuple[str, str, str, str]]:
    """The table's rows: measure, bare, Kuaipei, ratio."""
    bare, kp = figures["bare"], figures["kuaipei"]
    out = []
    for q in (50, 99):
        b, k = bare.p(q), kp.p(q)
        out.append((f"update → reply, p{q}", f"{b:.1f} ms", f"{k:.1f} ms", f"{k / b:.2f}×"))
    b, k = statistics.median(bare.burst_rates), statistics.median(kp.burst_rates)
    out.append(("/help burst, replies/s", f"{b:.1f}", f"{k:.1f}", f"{k / b:.2f}"))
    out.append(("/help burst, 429s drawn", str(bare.limited), str(kp.limited), ""))
    if bare.cpu_ms and kp.cpu_ms:
        b, k = statistics.median(bare.cpu_ms), statistics.median(kp.cpu_ms)
        out.append(("bot CPU per sequential update", f"{b:.2f} ms", f"{k:.2f} ms", f"{k / b:.2f}×"))
    if bare.loads and kp.loads:

        def span(xs: list[float]) -> str:
            return f"{min(xs):.1f}–{max(xs):.1f}"

        out.append(
            ("load average (1 min) at the runs' start", span(bare.loads), span(kp.loads), "")
        )
    return out


def main(argv: list[str] | None = None) -> None:
    """Run this section alone and print JSON (what `python -m bench` tabulates)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=Sizes.rounds)
    parser.add_argument("--repetitions", type=int, default=Sizes.repetitions)
    parser.add_argument("--burst", type=int, default=Sizes.burst)
    parser.add_argument("--profile-dir", type=Path, default=None)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout")
    parser.add_argument("--table", action="store_true", help="print the table, not JSON")
    args = parser.parse_args(argv)
    sizes = Sizes(args.rounds, args.repetitions, args.burst)
    figures = measure(sizes, args.profile_dir, args.baseline)
    if not args.table:
        result: dict[str, Any] = {k: v.__dict__ for k, v in figures.items()}
        print(json.dumps(result))
        return
    print("| measure | bare PTB bot | Kuaipei | ratio |\n|---|---|---|---|")
    for row in rows(figures):
        print(f"| {' | '.join(row)} |")
    if "baseline" in figures:
        print("\nthe baseline checkout's Kuaipei in the same run:\n")
        for row in rows({"bare": figures["bare"], "kuaipei": figures["baseline"]}):
            print(f"| {' | '.join(row)} |")


if __name__ == "__main__":
    main()
