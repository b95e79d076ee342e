"""Scores of the FITS maturity assessment: % of criteria met per process and function (fully = 1, partly = 0.5),
overall, per year, and across an authority's schools.

The sums come from SQL (AnswerQuerySet.totals, one query for any number of schools); this module divides them by
the number of questions of each area in the questionnaire version each assessment was answered against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from fits.assessment.questionnaire import Area, area_map, areas

LOW = 50  # below this a process needs attention (the LEA view counts schools below it)


def percent(points: int, questions: int) -> int:
    """Points are half-points (fully = 2): the share of `questions` met, as a whole percentage."""
    return round(100 * points / (2 * questions)) if questions else 0


@dataclass
class AreaScore:
    area: Area
    points: int = 0
    answered: int = 0
    moderated: int | None = None  # the LEA consultant's moderated score, where given
    comment: str = ""

    @property
    def questions(self) -> int:
        return len(self.area.questions)

    @property
    def percent(self) -> int:
        return percent(self.points, self.questions)

    @property
    def low(self) -> bool:
        return self.percent < LOW


@dataclass
class Scores:
    """One assessment's scores: per area in questionnaire order, and overall."""

    version: int
    by_area: dict[str, AreaScore] = field(default_factory=dict)

    @classmethod
    def empty(cls, version: int) -> Scores:
        return cls(version, {area.key: AreaScore(area) for area in areas(version)})

    def add(self, area: str, points: int, answered: int) -> None:
        if area in self.by_area:  # an area dropped from the questionnaire counts for nothing
            self.by_area[area].points += points
            self.by_area[area].answered += answered

    @property
    def areas(self) -> list[AreaScore]:
        return list(self.by_area.values())

    @property
    def processes(self) -> list[AreaScore]:
        return [score for score in self.by_area.values() if score.area.kind == "process"]

    @property
    def functions(self) -> list[AreaScore]:
        return [score for score in self.by_area.values() if score.area.kind == "function"]

    @property
    def groups(self) -> list[dict]:
        """The processes, then the functions, for the pages."""
        return [
            {"key": "process", "title": "FITS processes", "scores": self.processes},
            {"key": "function", "title": "FITS OM functions", "scores": self.functions},
        ]

    @property
    def answered(self) -> int:
        return sum(score.answered for score in self.by_area.values())

    @property
    def questions(self) -> int:
        return sum(score.questions for score in self.by_area.values())

    @property
    def overall(self) -> int:
        return percent(sum(s.points for s in self.by_area.values()), self.questions)

    @property
    def progress(self) -> int:
        return round(100 * self.answered / self.questions) if self.questions else 0


def scores_of(assessments: Iterable, totals: Iterable[dict], moderations: Iterable = ()) -> dict[int, Scores]:
    """{assessment pk: Scores} from the rows of AnswerQuerySet.totals() (and any moderations)."""
    found = {assessment.pk: Scores.empty(assessment.version) for assessment in assessments}
    for row in totals:
        if row["assessment_id"] in found:
            found[row["assessment_id"]].add(row["area"], row["points_sum"] or 0, row["answered"])
    for moderation in moderations:
        score = found.get(moderation.assessment_id, Scores(0)).by_area.get(moderation.area)
        if score is not None:
            score.moderated, score.comment = moderation.percent, moderation.comment
    return found


@dataclass
class Weakness:
    """One process or function across an authority's schools: its average and how many schools are below 50 %."""

    area: Area
    average: int
    below: int
    schools: int


def weakest(scores: Iterable[Scores], version: int) -> list[Weakness]:
    """The processes to focus the next consultancy day on: lowest average first, then most schools below 50 %."""
    scores = [s for s in scores if s.version == version]
    found = []
    for area in areas(version):
        values = [s.by_area[area.key].percent for s in scores]
        if values:
            below = sum(1 for value in values if value < LOW)
            found.append(Weakness(area, round(sum(values) / len(values)), below, len(values)))
    return sorted(found, key=lambda w: (w.average, -w.below, w.area.name))


def trend(totals: Iterable[dict], assessments_per_year: dict[tuple[int, int], int]) -> dict[int, dict[str, int]]:
    """{year: {area: average %}} over many schools, from totals() rows grouped by "assessment__year" and the number
    of assessments of each (year, version)."""
    sums: dict[tuple[int, int, str], int] = defaultdict(int)
    for row in totals:
        sums[(row["assessment__year"], row["assessment__version"], row["area"])] += row["points_sum"] or 0
    found: dict[int, dict[str, int]] = {}
    for (year, version), count in sorted(assessments_per_year.items()):
        by_area = found.setdefault(year, {})
        for key, area in area_map(version).items():
            by_area[key] = percent(sums[(year, version, key)], len(area.questions) * count)
    return found
