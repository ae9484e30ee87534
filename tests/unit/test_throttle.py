import pytest

from bot.transport import throttle as throttle_module
from bot.transport.throttle import SlidingWindow, Throttle


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_window_allows_max_rate_then_waits_for_the_oldest_to_expire():
    clock = FakeTime()
    w = SlidingWindow(3, 10.0, clock)
    for _ in range(3):
        assert w.wait_time() == 0
        w.record()
        clock.t += 1
    assert w.wait_time() == pytest.approx(7.0)  # first event at 1000, now 1003
    clock.t = 1010.0
    assert w.wait_time() == 0


def test_window_never_exceeds_rate_in_any_period():
    clock = FakeTime()
    w = SlidingWindow(20, 60.0, clock)
    times = []
    for _ in range(100):
        wait = w.wait_time()
        clock.t += wait
        w.record()
        times.append(clock.t)
    for i, start in enumerate(times):
        in_window = [t for t in times[i:] if t < start + 60.0]
        assert len(in_window) <= 20


def test_window_rejects_nonsense():
    with pytest.raises(ValueError):
        SlidingWindow(0, 1.0, FakeTime())


async def test_throttle_limits_groups_but_not_private_chats_per_group_window(
    monkeypatch: pytest.MonkeyPatch,
):
    clock = FakeTime()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        # Waiting is the throttle's only effect: let the waits pass on the fake clock.
        slept.append(seconds)
        clock.t += seconds

    monkeypatch.setattr(throttle_module.asyncio, "sleep", sleep)
    throttle = Throttle(
        group_max_rate=2,
        group_period=100.0,
        overall_max_rate=100,
        overall_period=1.0,
        monotonic=clock,
    )
    await throttle.acquire(-100)
    await throttle.acquire(-100)
    for _ in range(5):
        await throttle.acquire(42)  # private chats only count overall
    await throttle.acquire(-200)  # another group has a window of its own
    assert slept == []
    await throttle.acquire(-100)  # the third in the group's window waits out the first
    assert sum(slept) == pytest.approx(100.0, abs=0.1)


def test_a_groups_window_travels_to_the_next_sender():
    clock = FakeTime()
    first = Throttle(group_max_rate=3, group_period=10.0, monotonic=clock)
    group = -100
    for _ in range(3):
        first._group(group).record()  # type: ignore[union-attr]
        clock.t += 1
    sent = first.group_times(group)
    assert sent == [1000.0, 1001.0, 1002.0]

    second = Throttle(group_max_rate=3, group_period=10.0, monotonic=clock)
    assert second.bulk_wait(group, leave=0.0) == 0  # knows nothing yet
    second.seed_group(group, [*sent, 990.0])  # what fell out of the window is ignored
    second.seed_group(group, sent)  # seeding twice counts nothing twice
    assert second.group_times(group) == sent
    assert second._group(group).wait_time() == pytest.approx(7.0)  # type: ignore[union-attr]
    assert second.group_times(42) == [] and first.group_times(-7) == []


def test_a_share_of_the_overall_budget_limits_this_process():
    clock = FakeTime()
    t = Throttle(overall_max_rate=30, overall_period=1.0, monotonic=clock)
    t.share_overall(15)
    for _ in range(15):
        assert t._overall.wait_time() == 0
        t._overall.record()
    assert t._overall.wait_time() > 0
    t.share_overall(0)  # never below one a period
    assert t._overall.max_rate == 1 and t.overall_budget == 30
