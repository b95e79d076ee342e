"""Reading the network: cable traces through patch panels, and impact analysis (DESIGN.md 4.4).

A path alternates cables and pass-throughs: a patch panel's (or wall socket's) front port passes
to its rear port and back. `trace` follows a path end to end; the cabling services store each
path's two real ends on each other (`Port.connected_endpoint`), so `impact` and `depends_on`
read relationships and cabling together in two queries per level of the walk, never one per CI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cmdb.models import (
    INFRASTRUCTURE_KINDS,
    PASS_THROUGH_KINDS,
    Cable,
    ConfigurationItem,
    Kind,
    Location,
    Port,
    PortKind,
    Relationship,
)

# Deeper than any real school's chain of reliance; a walk that reaches it says so (Impact.truncated).
MAX_DEPTH = 64
_PORT_RELATED = ("ci", "cable")

# =============================================================================
# Cable traces
# =============================================================================


def _pass_through(port: Port) -> Port | None:
    """The port on the other side of a patch panel or wall socket, if this port passes through."""
    if port.kind == PortKind.FRONT and port.rear_port_id:
        return Port.objects.select_related(*_PORT_RELATED).get(pk=port.rear_port_id)
    if port.kind == PortKind.REAR:
        fronts = list(Port.objects.select_related(*_PORT_RELATED).filter(rear_port=port)[:2])
        return fronts[0] if len(fronts) == 1 else None  # one-to-one panels; a split is not followed
    return None


def _walk(start: Port, first_step: str, visited: set[int]) -> list[tuple[Cable | None, Port]]:
    """From `start`, alternate cable and pass-through steps: [(cable or None, port reached), ...]."""
    steps: list[tuple[Cable | None, Port]] = []
    current, step = start, first_step
    while True:
        if step == "cable":
            if current.cable_id is None:
                break
            cable = Cable.objects.select_related("a_port__ci", "a_port__cable", "b_port__ci", "b_port__cable").get(
                pk=current.cable_id
            )
            nxt, via = cable.far_end(current), cable
        else:
            nxt, via = _pass_through(current), None
            if nxt is None:
                break
        if nxt.pk in visited:
            break
        visited.add(nxt.pk)
        steps.append((via, nxt))
        current, step = nxt, ("map" if step == "cable" else "cable")
    return steps


@dataclass
class CablePath:
    """A path from one end to the other: ports[i] and ports[i + 1] are joined by links[i]
    (a cable, or None where the path passes through a patch panel or wall socket)."""

    ports: list[Port]
    links: list[Cable | None]

    @property
    def ends(self) -> tuple[Port, Port]:
        return self.ports[0], self.ports[-1]

    @property
    def complete(self) -> bool:
        """Both ends are real interfaces, not a dangling panel or socket port."""
        return len(self.ports) > 1 and all(p.kind not in PASS_THROUGH_KINDS for p in self.ends)


def trace(port: Port) -> CablePath:
    """The whole path through `port`, from one end to the other (e.g. PC, socket, panel, switch)."""
    port = Port.objects.select_related(*_PORT_RELATED).get(pk=port.pk)
    visited = {port.pk}
    backward = _walk(port, "map", visited)
    forward = _walk(port, "cable", visited)
    ports = [p for _, p in reversed(backward)] + [port] + [p for _, p in forward]
    links = [via for via, _ in reversed(backward)] + [via for via, _ in forward]
    return CablePath(ports=ports, links=links)


def path_ends(port: Port) -> tuple[Port | None, Port | None, set[int]]:
    """The two real ends of the path through `port` (None where it dangles) and every port on it."""
    path = trace(port)
    first, last = path.ends
    members = {p.pk for p in path.ports}
    if not path.complete:
        return None, None, members
    return first, last, members


# =============================================================================
# Impact analysis
# =============================================================================


@dataclass
class AffectedItem:
    ci: ConfigurationItem
    depth: int
    via: ConfigurationItem | None
    how: str  # "depends on", "runs on", "cabled to"...


@dataclass
class Impact:
    """What a failure of `root` affects (downstream) or what `root` relies on (upstream)."""

    root: ConfigurationItem
    items: list[AffectedItem] = field(default_factory=list)
    truncated: bool = False  # the walk stopped at MAX_DEPTH with more to follow

    @property
    def services(self) -> list[ConfigurationItem]:
        return [a.ci for a in self.items if a.ci.kind == Kind.SERVICE]

    @property
    def rooms(self) -> list[Location]:
        rooms = {a.ci.location_id: a.ci.location for a in self.items if a.ci.location_id}
        return sorted(rooms.values(), key=lambda room: room.path)

    def of_kind(self, *kinds: str) -> list[ConfigurationItem]:
        return [a.ci for a in self.items if a.ci.kind in kinds]


def _walk_graph(root: ConfigurationItem, step) -> Impact:
    """Breadth-first over the CMDB: `step(frontier)` returns (reached_id, from_id, how) edges."""
    reached: dict[int, tuple[int, int, str]] = {}
    seen, frontier, depth = {root.pk}, {root.pk}, 0
    while frontier and depth < MAX_DEPTH:
        depth += 1
        following = set()
        for reached_id, from_id, how in step(frontier):
            if reached_id not in seen:
                seen.add(reached_id)
                following.add(reached_id)
                reached[reached_id] = (depth, from_id, how)
        frontier = following
    items = ConfigurationItem.objects.filter(pk__in=reached).select_related("location__parent__parent")
    by_id = {ci.pk: ci for ci in items}
    by_id[root.pk] = root
    result = Impact(root=root, truncated=bool(frontier))
    for ci_id, (depth, from_id, how) in sorted(reached.items(), key=lambda kv: (kv[1][0], by_id[kv[0]].name)):
        result.items.append(AffectedItem(ci=by_id[ci_id], depth=depth, via=by_id.get(from_id), how=how))
    return result


def impact(ci: ConfigurationItem) -> Impact:
    """Everything affected when `ci` fails: what relies on it, and what is cabled behind it.

    Failures spread from a target to the sources that rely on it, and from a switch, router,
    firewall or access point through its non-uplink ports to whatever is at the far end of each
    cable path (through patch panels and wall sockets). Two queries per level of the walk.
    """
    labels = dict(Relationship.Kind.choices)

    def step(frontier: set[int]):
        for source_id, target_id, kind in Relationship.objects.filter(target_id__in=frontier).values_list(
            "source_id", "target_id", "kind"
        ):
            yield source_id, target_id, labels[kind]
        cabled = Port.objects.filter(
            ci_id__in=frontier, ci__kind__in=INFRASTRUCTURE_KINDS, is_uplink=False, connected_endpoint__isnull=False
        ).values_list("connected_endpoint__ci_id", "ci_id")
        for far_id, near_id in cabled:
            yield far_id, near_id, "is cabled to"

    return _walk_graph(ci, step)


def relied_on(school_id: int, roots: list[int]) -> dict[int, set[int]]:
    """For each root CI, itself and every CI it relies on through relationships (targets of targets...), for many
    roots at once: one query for the school's relationships, then walked in memory (reports over every service).
    `depends_on` is the one-CI walk with the cabling and how each was reached."""
    edges: dict[int, set[int]] = {}
    for source, target in Relationship.objects.filter(school_id=school_id).values_list("source_id", "target_id"):
        edges.setdefault(source, set()).add(target)
    found = {}
    for root in roots:
        reached, frontier = {root}, [root]
        while frontier:
            for target in edges.get(frontier.pop(), ()):
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        found[root] = reached
    return found


def depends_on(ci: ConfigurationItem) -> Impact:
    """Everything `ci` relies on (upstream): its targets, and the network path towards the core."""
    labels = dict(Relationship.Kind.choices)

    def step(frontier: set[int]):
        for target_id, source_id, kind in Relationship.objects.filter(source_id__in=frontier).values_list(
            "target_id", "source_id", "kind"
        ):
            yield target_id, source_id, labels[kind]
        # End devices reach the network through any cabled port; infrastructure only through uplinks.
        cabled = (
            Port.objects.filter(ci_id__in=frontier, connected_endpoint__isnull=False)
            .exclude(ci__kind__in=INFRASTRUCTURE_KINDS, is_uplink=False)
            .values_list("connected_endpoint__ci_id", "ci_id")
        )
        for far_id, near_id in cabled:
            yield far_id, near_id, "is cabled to"

    return _walk_graph(ci, step)
