"""Consistency of a deployment file as a whole: what each field allows can still add up to
something that cannot work (limits the wrong way round, codes used twice, unknown names)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # the deployment model runs these checks on itself
    from bot.config.deployment import Deployment


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
