"""The preset "one party fully liable" situations (docs/domain.md §4.2, "8 classes / 43 items").

Only the items docs/domain.md retrieved are listed as facts; the junction-priority items it
*guesses* for the unretrieved part of class 7 carry ``guess=True`` so a deployment can
switch them off (``LiabilityPolicy.include_guessed_presets``). Class 8 ("other cases of
full liability by law") was not retrieved: it is one catch-all preset the parties pick
explicitly. Codes are stable identifiers for buttons and storage; labels may change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PresetCategory(StrEnum):
    """The eight classes of the preset list."""

    REAR_END = "rear_end"  # 追尾
    WRONG_WAY = "wrong_way"  # 逆行
    REVERSING = "reversing"  # 倒车
    ROLLING = "rolling"  # 溜车
    DOOR = "door"  # 开关车门
    SIGNAL = "signal"  # 违反交通信号
    YIELD = "yield"  # 未按规定让行
    OTHER = "other"  # 依法应负全部责任的其他情形


@dataclass(frozen=True)
class Preset:
    """One preset situation a party can be tagged with."""

    code: str
    label_zh: str
    label_en: str
    category: PresetCategory
    guess: bool = False  # True: inferred in docs/domain.md, not from a retrieved text


# category | code | label_zh | label_en [| guess]; a text table keeps 33 rows readable.
_TABLE = """
rear_end|rear_end|未保持安全车距与前车追尾|Rear-ended the vehicle ahead
wrong_way|wrong_way|逆行|Drove against the direction of traffic
reversing|reversing|倒车|Was reversing
rolling|rolling|溜车|Vehicle rolled away
door|door|开关车门|Opened or closed a door
signal|signal.red_light|闯红灯|Ran a red light
signal|signal.no_u_turn|在禁止掉头处掉头|U-turn where prohibited
signal|signal.dedicated_lane|违法驶入专用车道|Entered a dedicated lane illegally
signal|signal.direction|未按信号指示方向行驶|Did not follow the signalled direction
signal|signal.prohibited_road|驶入禁行道路|Entered a prohibited road
signal|signal.police|不服从交警指挥|Disobeyed a traffic officer
yield|yield.emergency|未避让执行任务的特种车辆|Did not yield to an emergency vehicle on duty
yield|yield.lane_change|变更车道影响相关车道内车辆|Lane change hit a vehicle already in that lane
yield|yield.obstacle_side|无中心线道路遇障碍，有障碍一方未让行|No centre line: the obstacle side did not yield
yield|yield.obstacle_entered|有障碍一方已驶入，对方未让行|No centre line: did not yield to an obstacle-side car already in
yield|yield.slope_downhill|狭窄坡路下坡车未让上坡车|Narrow slope: downhill did not yield to uphill
yield|yield.slope_halfway|下坡车已行至中途，上坡车未让行|Narrow slope: uphill did not yield to a downhill car already halfway
yield|yield.mountain_side|狭窄山路靠山体一方未让行|Narrow mountain road: the mountain side did not yield
yield|yield.overtake_left_turn|超越正在左转弯的车辆|Overtook a vehicle turning left
yield|yield.overtake_u_turn|超越正在掉头的车辆|Overtook a vehicle making a U-turn
yield|yield.overtake_overtaking|超越正在超车的车辆|Overtook a vehicle that was overtaking
yield|yield.overtake_oncoming|与对面来车有会车可能时超车|Overtook with oncoming traffic possible
yield|yield.overtake_restricted|在路口、窄桥、弯道、陡坡、隧道超车|Overtook at a junction, narrow bridge, curve, steep slope or tunnel
yield|yield.u_turn|掉头时未让正常行驶车辆|U-turn without yielding to normal traffic
yield|yield.enter_main_road|驶入主路未让主路车辆|Entered the main road without yielding to it
yield|yield.service_road|辅路车辆未让驶出主路的车辆|Service-road car did not yield to a car leaving the main road
yield|yield.enter_cross_road|驶入、驶出、横过道路未让行|Entered, left or crossed the road without yielding
yield|yield.turn_vs_straight|转弯车辆未让直行车辆|Turning car did not yield to straight traffic|guess
yield|yield.right_vs_left|右转弯车辆未让对面左转弯车辆|Right turn did not yield to the opposite left turn|guess
yield|yield.from_right|无信号路口未让右方道路来车|Unsigned junction: did not yield to the right|guess
yield|yield.roundabout|进入环形路口未让已在路口内的车辆|Entered a roundabout without yielding to cars inside|guess
yield|yield.merge|车道减少时未依次交替通行|Lanes merging: did not alternate|guess
other|other.full|其他依法应负全部责任的情形|Other case of full liability by law
"""


def _load(table: str) -> tuple[Preset, ...]:
    rows = (line.split("|") for line in table.strip().splitlines())
    return tuple(
        Preset(r[1], r[2], r[3], PresetCategory(r[0]), guess=r[4:] == ["guess"]) for r in rows
    )


PRESETS: tuple[Preset, ...] = _load(_TABLE)
PRESETS_BY_CODE: dict[str, Preset] = {p.code: p for p in PRESETS}
