"""Consistency of a deployment file as a whole: what each field allows can still add up to
something that cannot work (limits the wrong way round, codes used twice, unknown names)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.rules.calendar import CalendarKind, HolidayTable, Hours, parse_hours
from bot.rules.sla import PER_INSURER, Anchor, Stage, StepKind

if TYPE_CHECKING:  # the deployment model runs these checks on itself
    from bot.config.deployment import Deployment
    from bot.config.sla import Sla, SlaStage


def _repeated(what: str, items: Iterable[tuple[str, str]]) -> list[str]:
    """One line per key that more than one owner uses (items are (key, owner))."""
    owners: dict[str, list[str]] = defaultdict(list)
    for key, owner in items:
        if owner not in owners[key]:
            owners[key].append(owner)
    return [
        f"duplicate {what} {key} ({', '.join(names)})"
        for key, names in owners.items()
        if len(names) > 1
    ]


def problems(d: Deployment) -> list[str]:
    """What makes a well-formed deployment unworkable, one line each (empty when it works)."""
    out: list[str] = []
    rules, comp = d.rules, d.compensation
    try:  # routing and on-duty hours need the zone: unknown, it would fail only much later
        ZoneInfo(d.region.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        out.append(f"region.timezone: unknown time zone {d.region.timezone} (e.g. Asia/Shanghai)")
    hours, minutes = (int(v) for v in d.sla.digest_time.split(":"))
    if hours > 23 or minutes > 59:
        out.append(f"sla.digest_time: {d.sla.digest_time} is not a time of day (00:00-23:59)")
    out += _sla_problems(d.sla, {i.code for i in d.insurers})
    towns = {t.code for t in d.townships}
    for office in d.liaison_chats:
        for code in office.townships:
            if code not in towns:
                out.append(f"liaison_chats: chat {office.chat_id} names unknown township {code}")
    ids = [o.chat_id for o in d.liaison_chats]
    for chat_id in sorted({i for i in ids if ids.count(i) > 1}):
        out.append(f"liaison_chats: chat {chat_id} is listed twice")
    if rules.photos_min > rules.photos_max:
        out.append(
            f"rules: photos_min ({rules.photos_min}) is above photos_max ({rules.photos_max})"
        )
    if not rules.vehicle_types:
        out.append("rules.vehicle_types: name at least one vehicle type (e.g. 其他)")
    for kind in sorted({v for v in rules.vehicle_types if rules.vehicle_types.count(v) > 1}):
        out.append(f"rules.vehicle_types: {kind} is listed twice")
    if d.evidence.default_parties > rules.max_parties:
        out.append(
            f"evidence.default_parties ({d.evidence.default_parties}) is above "
            f"rules.max_parties ({rules.max_parties})"
        )
    if comp.compulsory_property_no_fault_limit_yuan > comp.compulsory_property_limit_yuan:
        out.append(
            "compensation: compulsory_property_no_fault_limit_yuan "
            f"({comp.compulsory_property_no_fault_limit_yuan}) is above "
            f"compulsory_property_limit_yuan ({comp.compulsory_property_limit_yuan})"
        )
    ratios = comp.commercial_ratios_percent
    grades = ("full", "major", "equal", "minor", "none")
    if [ratios[g] for g in grades] != sorted((ratios[g] for g in grades), reverse=True):
        out.append(
            "compensation.commercial_ratios_percent: a larger share of fault must not pay "
            "a smaller percentage (full >= major >= equal >= minor >= none)"
        )
    out += _repeated("insurer code", ((i.code, i.name) for i in d.insurers))
    # find_insurer takes the first match, so a name shared by two insurers picks one silently.
    out += _repeated(
        "insurer name or alias",
        ((key, i.code) for i in d.insurers for key in {i.name, i.short_name, *i.aliases}),
    )
    out += _repeated("township code", ((t.code, t.name) for t in d.townships))
    out += _repeated("township case_prefix", ((t.case_prefix, t.name) for t in d.townships))
    out += _repeated("township name", ((t.name, t.code) for t in d.townships))
    out += _repeated("service point code", ((p.code, p.name) for p in d.service_points))
    towns = {t.code for t in d.townships}
    insurers = {i.code for i in d.insurers}
    for p in d.service_points:
        if p.township not in towns:
            out.append(f"service point {p.code}: unknown township {p.township}")
        if p.insurer is not None and p.insurer not in insurers:
            out.append(f"service point {p.code}: unknown insurer {p.insurer}")
    for person in d.people:
        if person.insurer is not None and person.insurer not in insurers:
            out.append(f"person {person.user_id}: unknown insurer {person.insurer}")
        if unknown := sorted(set(person.townships) - towns):
            out.append(f"person {person.user_id}: unknown townships {', '.join(unknown)}")
    return out


def _one_of(place: str, what: str, minutes: int | None, days: int | None) -> list[str]:
    if minutes is not None and days is not None:
        return [f"{place}: give {what}_minutes or {what}_days, not both"]
    return []


def _working_hours(sla: Sla) -> tuple[list[Hours], list[str]]:
    parsed, out = [], []
    for text in sla.working_hours:
        try:
            parsed.append(parse_hours(text))
        except ValueError as exc:
            out.append(f"sla.working_hours: {exc}")
    ordered = sorted(parsed, key=lambda h: h.start)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start < before.end:
            out.append(
                f"sla.working_hours: {before.start:%H:%M}-{before.end:%H:%M} and "
                f"{after.start:%H:%M}-{after.end:%H:%M} overlap"
            )
    return parsed, out


def _uses_working(sla: Sla) -> bool:
    stages = [sla.stages.of(stage) for stage in Stage]
    return any(s.calendar is CalendarKind.WORKING for s in stages) or any(
        own.calendar is CalendarKind.WORKING for s in stages for own in s.insurers.values()
    )


def _stage_problems(stage: Stage, s: SlaStage, insurers: set[str]) -> list[str]:
    place = f"sla.stages.{stage}"
    out = _one_of(place, "target", s.target_minutes, s.target_days)
    if s.target_minutes is None and s.target_days is None:
        out.append(f"{place}: no target (target_minutes or target_days)")
    if s.insurers and stage not in PER_INSURER:
        out.append(
            f"{place}.insurers: only {', '.join(sorted(PER_INSURER))} have an insurer's own terms"
        )
    for code, own in s.insurers.items():
        if code not in insurers:
            out.append(f"{place}.insurers: unknown insurer {code}")
        out += _one_of(f"{place}.insurers.{code}", "target", own.target_minutes, own.target_days)
    for i, step in enumerate(s.ladder):
        at = f"{place}.ladder[{i}]"
        out += _one_of(at, "delay", step.delay_minutes, step.delay_days)
        if step.after is Anchor.WARNING and s.warn_percent is None:
            out.append(f"{at}: {step.step} after the warning, but the stage has no warn_percent")
        if step.step is StepKind.SUPERVISORS and stage not in PER_INSURER:
            out.append(f"{at}: supervisors are an insurer's, and {stage} has no insurer")
        if step.repeat is not None:
            every = (step.repeat.every_minutes, step.repeat.every_days)
            if None not in every:
                out.append(f"{at}.repeat: give every_minutes or every_days, not both")
            elif every == (None, None):
                out.append(f"{at}.repeat: every_minutes or every_days is needed")
    return out


def _sla_problems(sla: Sla, insurers: set[str]) -> list[str]:
    hours, out = _working_hours(sla)
    if not sla.working_hours and _uses_working(sla):
        out.append("sla.working_hours: a stage runs on the working calendar, which needs hours")
    if bad := sorted({w for w in sla.working_weekdays if not 1 <= w <= 7}):
        out.append(f"sla.working_weekdays: {bad} are not weekdays (1 Monday to 7 Sunday)")
    if not sla.working_weekdays and _uses_working(sla):
        out.append("sla.working_weekdays: a working calendar needs at least one weekday")
    for w in sorted({w for w in sla.working_weekdays if sla.working_weekdays.count(w) > 1}):
        out.append(f"sla.working_weekdays: {w} is listed twice")
    for day in sorted(set(sla.holidays) & set(sla.working_days)):
        out.append(f"sla: {day} is in both holidays and working_days")
    for stage in Stage:
        out += _stage_problems(stage, sla.stages.of(stage), insurers)
    if out:
        return out
    # What is left can only show in the terms themselves (a warning under a minute).
    for stage in Stage:
        for code in (None, *sla.stages.of(stage).insurers):
            try:
                sla.terms(stage, code)
            except ValueError as exc:
                whose = f".insurers.{code}" if code else ""
                out.append(f"sla.stages.{stage}{whose}: {exc}")
    return out


def sla_warnings(d: Deployment, today: date, table: HolidayTable | None = None) -> list[str]:
    """What an operator should hear at start and in a check, though the file works: a
    current or next year the holiday calendar has no data for (its weekdays are counted
    as working days, holiday weeks included)."""
    sla = d.sla
    if not _uses_working(sla):
        return []
    calendar = sla.calendar(CalendarKind.WORKING, d.region.timezone, table)
    missing = calendar.years_without_data((today.year, today.year + 1))
    return [
        f"sla: no holiday data for {year}: its weekdays count as working days, holidays "
        "included; update chinese-calendar, or list the year's days under sla.holidays "
        "and sla.working_days and add it to sla.listed_years"
        for year in missing
    ]
