"""Reading a school's timetable from its MIS export (CSV), for lesson impact.

The MIS (SIMS, Arbor, Bromcom...) exports one row per lesson: room, weekday, start, end, class,
teacher. `parse_timetable()` checks every row and column and matches each room to the school's
locations in the CMDB, by name or by path; it changes nothing. `incidents.services.lessons_import`
then imports a clean file all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from cmdb.models import Location
from incidents.models import Lesson, Weekday

MAX_BYTES = 512 * 1024
MAX_ROWS = 5000
PROBLEMS_SHOWN = 200

# The headings we understand, and the other names MIS exports give them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "room": ("room", "location", "room name", "room code"),
    "weekday": ("weekday", "day", "day of week"),
    "start": ("start", "starts", "start time", "from", "begin"),
    "end": ("end", "ends", "end time", "to", "finish"),
    "class": ("class", "group", "class/group", "lesson", "name", "subject"),
    "teacher": ("teacher", "staff", "teacher name"),
}
REQUIRED = ("room", "weekday", "start", "end", "class")

DAY_NAMES = {
    **{day.label.lower(): day.value for day in Weekday},
    **{day.label[:3].lower(): day.value for day in Weekday},
    "tues": Weekday.TUESDAY,
    "weds": Weekday.WEDNESDAY,
    "thur": Weekday.THURSDAY,
    "thurs": Weekday.THURSDAY,
}
TIME_RE = re.compile(r"^(\d{1,2})[:.]?(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: the spreadsheet's row number (the heading is row 1) and the column."""

    row: int
    column: str
    value: str
    message: str


@dataclass
class Row:
    row: int
    room: Location
    weekday: int
    starts: time
    ends: time
    name: str
    teacher: str

    @property
    def weekday_label(self) -> str:
        return Weekday(self.weekday).label


@dataclass
class Timetable:
    """A parsed file: its good rows and every problem found (nothing is imported while there is one)."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0
    removed: int = 0  # lessons the import replaced

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems

    @property
    def rooms(self) -> list[Location]:
        found = {row.room.pk: row.room for row in self.rows}
        return sorted(found.values(), key=lambda room: room.path)

    @property
    def problems_shown(self) -> list[Problem]:
        return self.problems[:PROBLEMS_SHOWN]

    @property
    def problems_by_column(self) -> list[tuple[str, int]]:
        return Counter(problem.column for problem in self.problems).most_common()

    @property
    def bad_rows(self) -> set[int]:
        return {problem.row for problem in self.problems if problem.row > 1}


def decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else Windows-1252, as older MIS exports are."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_time(value: str) -> time | None:
    match = TIME_RE.match(value.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_weekday(value: str) -> int | None:
    """Monday, Mon, or 1 (Monday) to 7 (Sunday), as MIS exports write them."""
    value = value.strip().lower().rstrip(".")
    if value.isdigit():
        number = int(value)
        return number - 1 if 1 <= number <= 7 else None
    return DAY_NAMES.get(value)


def _norm(value: str) -> str:
    return re.sub(r"\s*/\s*", " / ", re.sub(r"\s+", " ", value.strip())).lower()


class RoomIndex:
    """The school's locations by path and by name, to match the room column."""

    def __init__(self, locations: list[Location]) -> None:
        self.by_path = {_norm(location.path): location for location in locations}
        self.by_name: dict[str, list[Location]] = defaultdict(list)
        for location in locations:
            self.by_name[_norm(location.name)].append(location)

    def match(self, value: str) -> tuple[Location | None, str]:
        key = _norm(value)
        if key in self.by_path:
            return self.by_path[key], ""
        found = self.by_name.get(key, [])
        rooms = [location for location in found if location.kind == Location.Kind.ROOM]
        found = rooms or found
        if len(found) == 1:
            return found[0], ""
        if found:
            example = sorted(found, key=lambda location: location.path)[0].path
            return None, f"{len(found)} rooms are called “{value.strip()}”: give the path, e.g. “{example}”."
        return None, f"No room called “{value.strip()}” at this school: add it to the CMDB's locations first."


def _headings(header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    names = [_norm(name) for name in header]
    positions, problems = {}, []
    for column, aliases in COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                positions[column] = index
                break
    for column in REQUIRED:
        if column not in positions:
            problems.append(Problem(1, column, "", f"The file has no “{column}” column (the heading row is row 1)."))
    return positions, problems


def parse_timetable(data: bytes, *, locations: list[Location], existing: list[Lesson] = ()) -> Timetable:
    """Check a timetable export row by row. `existing`: lessons kept alongside the file (to find clashes)."""
    result = Timetable()
    if len(data) > MAX_BYTES:
        result.problems.append(Problem(0, "", "", f"The file is larger than {MAX_BYTES // 1024} KB."))
        return result
    text = decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        result.problems.append(Problem(0, "", "", "The file is empty: export the timetable as CSV and try again."))
        return result
    positions, problems = _headings(header)
    if problems:
        result.problems = problems
        return result
    rooms = RoomIndex(locations)
    try:
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            result.lines += 1
            if result.lines > MAX_ROWS:
                result.problems.append(Problem(number, "", "", f"The file has more than {MAX_ROWS} lessons."))
                break
            _parse_row(result, number, values, positions, rooms)
    except csv.Error as error:
        result.problems.append(Problem(result.lines + 2, "", "", f"The file is not valid CSV: {error}."))
    _find_clashes(result, existing)
    if not result.rows and not result.problems:
        result.problems.append(Problem(0, "", "", "The file has a heading row but no lessons."))
    return result


def _parse_row(result: Timetable, number: int, values: list[str], positions: dict[str, int], rooms) -> None:
    def cell(column: str) -> str:
        index = positions.get(column)
        return values[index].strip() if index is not None and index < len(values) else ""

    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(number, column, cell(column), message))

    room, why = (None, "") if not cell("room") else rooms.match(cell("room"))
    if not cell("room"):
        problem("room", "The room is missing.")
    elif room is None:
        problem("room", why)
    weekday = parse_weekday(cell("weekday"))
    if weekday is None:
        problem("weekday", "Write the day as Monday, Mon, or a number from 1 (Monday) to 7 (Sunday).")
    starts, ends = parse_time(cell("start")), parse_time(cell("end"))
    if starts is None:
        problem("start", "Write the time as 24-hour HH:MM, e.g. 09:00.")
    if ends is None:
        problem("end", "Write the time as 24-hour HH:MM, e.g. 10:00.")
    elif starts is not None and ends <= starts:
        problem("end", f"The lesson ends before it starts ({cell('start')}).")
    name = cell("class")
    if not name:
        problem("class", "The class or group is missing (e.g. 9X2 Computing).")
    elif len(name) > 100:
        problem("class", "The class or group is longer than 100 characters.")
    teacher = cell("teacher")
    if len(teacher) > 100:
        problem("teacher", "The teacher's name is longer than 100 characters.")
    if problems:
        result.problems += problems
        return
    result.rows.append(Row(number, room, weekday, starts, ends, name, teacher))


def _find_clashes(result: Timetable, existing: Any) -> None:
    """Two lessons in one room at once: within the file, and with lessons kept from before."""
    slots: dict[tuple[int, int], list[tuple[time, time, str]]] = defaultdict(list)
    for lesson in existing:
        slots[(lesson.location_id, lesson.weekday)].append((lesson.starts, lesson.ends, f"the existing {lesson}"))
    for row in sorted(result.rows, key=lambda r: (r.room.pk, r.weekday, r.starts)):
        key = (row.room.pk, row.weekday)
        clash = next((label for s, e, label in slots[key] if row.starts < e and row.ends > s), None)
        if clash:
            result.problems.append(
                Problem(row.row, "start", row.starts.strftime("%H:%M"), f"{row.room.name} is taken then: {clash}.")
            )
        slots[key].append((row.starts, row.ends, f"row {row.row} ({row.name})"))
    result.problems.sort(
        key=lambda problem: (problem.row, list(COLUMNS).index(problem.column) if problem.column in COLUMNS else -1)
    )
