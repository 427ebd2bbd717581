"""Link analysis use cases: compute a case's links and alerts, assert facts, query links, export the graph,
and rank new media for victim identification (the workboard).

``link_case`` runs after every match (and every ingest): it recomputes the rules of ``graph.rules`` for the
case's contents (camera, identifier, series, cross-case PDQ; places over the whole store, whose clusters
depend on every position), then records an alert on both sides of every link from the case into another
case, at or above ``alert_min_score``. Assertions (``assert_media``) are append-only and attributed; the
latest on a (subject, predicate, object) holds, and each one refreshes the alerts of its case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from jejak.config import Settings
from jejak.errors import ConfigError
from jejak.graph.camera import camera_edges
from jejak.graph.places import PlaceSummary, cluster_points, place_edges
from jejak.graph.rules import (
    Assertion,
    CrossLink,
    asserted_edges,
    components,
    content,
    cross_links,
    current,
    explain_path,
    identifier_edges,
    name_identifiers,
    pdq_edges,
    series_edges,
    suggest,
)
from jejak.hashing.robust import NAME as ROBUST_NAME
from jejak.hashing.robust import RobustDescriptor
from jejak.match.scene import SceneEvidence
from jejak.match.scene_search import SceneRanker
from jejak.model.graph import Edge, Graph, Node, NodeKind, node_key, split_key
from jejak.model.records import ExifInfo
from jejak.services.media import resolve_content
from jejak.store.graph import AssertionRow
from jejak.store.sql import Store

CASE_RULES = ("camera", "identifier", "series", "pdq", "scene")
"""Rules recomputed for a case's contents by ``link_case`` (``place`` is recomputed store-wide)."""
NOTE = "note"
"""The predicate of a note about a content (``assert_media`` with a note alone): a self-loop, never a link."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _assertions(rows: Iterable[AssertionRow]) -> list[Assertion]:
    return [
        Assertion(r.subject, r.predicate, r.object, r.negated, r.by, r.at.isoformat(), r.case, r.note)
        for r in rows
    ]


def link_case(store: Store, settings: Settings, case: str) -> dict[str, Any]:
    """Recompute the case's links by every rule and the alerts they raise; returns counts."""
    row = store.get_case(case)
    now = _now()
    g = store.graph
    contents = g.case_contents(row.id)
    nodes = {content(sha) for sha in contents.values()}
    items = [
        (
            str(r["sha256"]),
            ExifInfo(
                make=r["make"],
                model=r["model"],
                serial=r["serial"],
                image_unique_id=r["image_unique_id"],
                extra=dict(r["extra"] or {}),
            ),
        )
        for r in g.metadata(list(contents))
    ]
    _cams, cam = camera_edges(items)
    ident = identifier_edges([*g.identifiers(list(contents)), *name_identifiers(g.case_file_names(row.id))])
    series = series_edges(g.case_series(row.id))
    sha_of = contents
    queries = [
        (sha_of[cid], value)
        for cid, alg, value, quality in store.matches.case_pdqs(row.id)
        if alg == "pdq" and (quality or 0) >= settings.match_pdq_quality
    ]
    others = g.pdqs(settings.match_pdq_quality, exclude_case=row.id) if queries else []
    pdq = pdq_edges(queries, others, settings.match_pdq_threshold)
    scene, scene_report = _scene_edges(store, settings, contents)
    g.replace_edges(CASE_RULES, [*cam, *ident, *series, *pdq, *scene], now, touching=nodes)
    clusters = cluster_points(g.gps_points(), settings.place_radius_m)
    places = [
        Edge(e.a, e.b, e.rule, e.score, {**e.evidence, "centroid": _centroid(clusters, e.b)})
        for e in place_edges(clusters, radius_m=settings.place_radius_m)
    ]
    g.replace_edges(("place",), places, now, touching=None)
    new_alerts = refresh_alerts(store, settings, case)
    return {
        "camera": len(cam),
        "identifier": len(ident),
        "series": len(series),
        "pdq": len(pdq),
        "scene": scene_report,
        "place": sum(1 for e in places if e.a in nodes),
        "alerts": new_alerts,
    }


def _scene_edges(store: Store, settings: Settings, contents: dict[int, str]) -> tuple[list[Edge], Any]:
    """Same-room links (``match.scene``, experimental: ``scene_enabled``) between the case's stills, and
    from them to stills anywhere that an investigator asserted as showing a person or belonging to a
    series (the victim-identification question: is this new picture from a known room?). Returns the
    edges and a report: None when off, else counts or why it was skipped."""
    if not settings.scene_enabled:
        return [], None
    g = store.graph
    own = g.descriptors(contents.values(), ROBUST_NAME)
    if len(own) > settings.scene_case_max:
        return [], {"skipped": f"{len(own)} described stills, over scene_case_max"}
    held = current(_assertions(g.assertions(None)))
    asserted = {
        split_key(s)[1]
        for (s, p, _o), a in held.items()
        if not a.negated and p in ("victim", "offender", "series") and split_key(s)[0] is NodeKind.CONTENT
    }
    pool = {**g.descriptors(asserted - set(own), ROBUST_NAME), **own}
    shas = sorted(pool)
    descs: dict[int, RobustDescriptor] = {}
    for i, sha in enumerate(shas):
        try:
            descs[i] = RobustDescriptor.from_bytes(pool[sha])
        except ValueError:
            continue  # described by an older jejak
    if len(descs) < 2:
        return [], {"stills": len(own), "references": len(descs), "links": 0}
    ranker = SceneRanker.build(sorted(descs.items()))
    found: dict[tuple[str, str], Edge] = {}
    for i, desc in descs.items():
        if shas[i] not in own:
            continue
        for j, ev in ranker.search(desc, k=5, exclude=i):
            e = Edge(content(shas[i]), content(shas[j]), "scene", round(ev.score, 4), _scene_evidence(ev))
            if e.identity[:2] not in found or e.score > found[e.identity[:2]].score:
                found[e.identity[:2]] = e
    edges = sorted(found.values(), key=lambda e: e.identity)
    return edges, {"stills": len(own), "references": len(descs), "links": len(edges)}


def _scene_evidence(ev: SceneEvidence) -> dict[str, Any]:
    return {
        "inliers": ev.inliers,
        "matches": ev.matches,
        "planes": len(ev.planes),
        "spread": round(ev.spread, 4),
        "cells": ev.cells,
        "mirrored": ev.mirrored,
    }


def _centroid(clusters: Sequence[Any], key: str) -> list[float]:
    ident = split_key(key)[1]
    for c in clusters:
        if c.id == ident:
            return [round(c.centroid[0], 7), round(c.centroid[1], 7)]
    return []


def _fetch(store: Store, nodes: set[str]) -> list[Edge]:
    """Stored, media and asserted edges with an end in ``nodes``."""
    g = store.graph
    edges = g.edges(nodes)
    shas = [split_key(n)[1] for n in nodes if split_key(n)[0] is NodeKind.CONTENT]
    if shas:
        edges += [
            Edge(content(a), content(b), alg, min(1.0, max(0.0, score)), ev)
            for a, b, alg, score, ev in g.media_links(shas)
        ]
    return edges + asserted_edges(_assertions(g.assertions(nodes)))


def _edges_around(store: Store, start: set[str]) -> list[Edge]:
    """Edges of ``start`` and of the nodes they reach: from contents, the entities they show lead on to
    the other contents showing them (content -> camera <- content); from a person or series, its
    contents lead on to everything they link to."""
    first = _fetch(store, start)
    reached = {n for e in first for n in (e.a, e.b)} - start
    has_contents = any(split_key(n)[0] is NodeKind.CONTENT for n in start)
    onward = {n for n in reached if not has_contents or split_key(n)[0] is not NodeKind.CONTENT}
    found = {e.identity: e for e in first}
    for e in _fetch(store, onward) if onward else []:
        found.setdefault(e.identity, e)
    return sorted(found.values(), key=lambda e: e.identity)


def _identified(store: Store, shas: Iterable[str]) -> set[str]:
    """Contents whose victim is identified: asserted (a person marked identified) or said so by a list."""
    shas = set(shas)
    out = store.graph.listed_victim_identified(shas)
    held = [
        a
        for a in _assertions(store.graph.assertions({content(s) for s in shas}))
        if a.predicate == "victim" and split_key(a.subject)[0] is NodeKind.CONTENT
    ]
    state: dict[tuple[str, str], bool] = {}
    for a in held:
        state[(a.subject, a.object)] = not a.negated
    people = store.graph.persons({split_key(o)[1] for (_s, o), on in state.items() if on})
    for (s, o), on in state.items():
        p = people.get(split_key(o)[1])
        if on and p is not None and p.identified:
            out.add(split_key(s)[1])
    return out


def refresh_alerts(store: Store, settings: Settings, case: str) -> int:
    """Record an alert on both sides of every link from the case's contents into another case."""
    row = store.get_case(case)
    g = store.graph
    contents = g.case_contents(row.id)
    nodes = {content(sha) for sha in contents.values()}
    links = cross_links(nodes, _edges_around(store, nodes), settings.alert_min_score)
    holders = g.holders([split_key(x.other)[1] for x in links] + list(contents.values()))
    for sha in contents.values():  # the same bytes held by another case
        if any(h.case_id != row.id for h in holders.get(sha, [])):
            links.append(CrossLink(content(sha), content(sha), content(sha), "content", 1.0, {}))
    identified = _identified(store, [split_key(x.other)[1] for x in links] + list(contents.values()))
    rows: list[dict[str, Any]] = []
    for x in links:
        other_sha, mine_sha = split_key(x.other)[1], split_key(x.subject)[1]
        for h in holders.get(other_sha, []):
            if h.case_id == row.id:
                continue
            evidence = {**x.evidence, "other": x.other}
            rows.append(_alert(row.id, h.case_id, x, x.subject, other_sha in identified, evidence))
            back = {**x.evidence, "other": x.subject}
            via = x.subject if x.via == x.other else x.via  # a direct link: the other side sees ours
            rows.append(_alert(h.case_id, row.id, replace(x, via=via), x.other, mine_sha in identified, back))
    return g.add_alerts(rows, _now())


def _alert(
    case_id: int, other_id: int, x: CrossLink, subject: str, identified: bool, evidence: dict[str, Any]
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "other_case_id": other_id,
        "rule": x.rule,
        "score": round(x.score, 4),
        "subject": subject,
        "via": x.via,
        "victim_identified": identified,
        "evidence": evidence,
    }


def alerts(store: Store, case: str | None = None) -> list[dict[str, Any]]:
    row = store.get_case(case) if case else None
    return store.graph.alerts(row.id if row else None)


# -- assertions ---------------------------------------------------------------------------------------------


def assert_media(
    store: Store,
    settings: Settings,
    case: str | None,
    ref: str,
    *,
    victim: str | None = None,
    offender: str | None = None,
    series: str | None = None,
    same: str | None = None,
    not_same: str | None = None,
    reject: bool = False,
    identified: bool | None = None,
    aliases: Sequence[str] = (),
    external_ids: Sequence[str] = (),
    note: str | None = None,
    by: str,
) -> dict[str, Any]:
    """Assert (or, with ``reject``, reject) facts about a content: it shows victim or offender KEY, it
    belongs to a series, it is (not) the same as another content. A ``note`` alone is recorded as an
    assertion of its own (predicate ``note``, the content as subject and object: no link). Returns what was
    recorded."""
    facts = any((victim, offender, series, same, not_same))
    if not facts and not (note and note.strip()):
        raise ConfigError("say what to assert: --victim, --offender, --series, --same, --not-same or --note")
    sha = resolve_content(store, case, ref)
    row = store.get_case(case) if case else None
    store.media.content_id(sha, row.id if row else None)  # NotFound unless held (by the case)
    subject = content(sha)
    now = _now()
    recorded: list[dict[str, Any]] = []
    g = store.graph

    def record(predicate: str, obj: str, negated: bool) -> None:
        aid = g.add_assertion(row.id if row else None, subject, predicate, obj, negated, note, by, now)
        recorded.append({"id": aid, "predicate": predicate, "object": obj, "negated": negated})

    for role, given in (("victim", victim), ("offender", offender)):
        if given:
            key = given.strip()
            agency = row.agency if row else None
            g.upsert_person(key, role, identified, aliases, external_ids, agency, by, now)
            record(role, node_key(NodeKind.PERSON, key), reject)
    if series:
        record("series", node_key(NodeKind.SERIES, series.strip()), reject)
    for other, negated in ((same, reject), (not_same, True)):
        if other:
            other_sha = resolve_content(store, case, other)
            store.media.content_id(other_sha)
            record("same", content(other_sha), negated)
    if not facts:
        record(NOTE, subject, False)
    elif row is not None:
        refresh_alerts(store, settings, row.name)
    return {"subject": subject, "sha256": sha, "by": by, "at": now.isoformat(), "assertions": recorded}


def person_info(store: Store, key: str) -> dict[str, Any]:
    p = store.graph.person(key)
    out = p.as_dict()
    history = _assertions(store.graph.assertions([node_key(NodeKind.PERSON, key)]))
    out["assertions"] = [a.__dict__ for a in history]
    return out


# -- queries -----------------------------------------------------------------------------------------------


def _filter(edges: Iterable[Edge], rules: Sequence[str] | None, min_score: float) -> list[Edge]:
    wanted = set(rules) if rules else None
    return [e for e in edges if e.score >= min_score and (wanted is None or e.rule in wanted)]


def _start_nodes(store: Store, case: str | None, sha: str | None, person: str | None) -> set[str]:
    given = sum(x is not None for x in (case, sha, person))
    if given != 1:
        raise ConfigError("give exactly one of --case, --content, --person")
    if case is not None:
        return {content(s) for s in store.graph.case_contents(store.get_case(case).id).values()}
    if sha is not None:
        return {content(resolve_content(store, None, sha))}
    assert person is not None
    store.graph.person(person)
    return {node_key(NodeKind.PERSON, person)}


def query_links(
    store: Store,
    case: str | None = None,
    sha: str | None = None,
    person: str | None = None,
    rules: Sequence[str] | None = None,
    min_score: float = 0.0,
) -> list[dict[str, Any]]:
    """Links around a case's contents, one content or one person: every edge with its rule, score and
    evidence, strongest first; each end named by its key, with the cases holding it when a content."""
    start = _start_nodes(store, case, sha, person)
    edges = _filter(_edges_around(store, start), rules, min_score)
    described = _describe({n for e in edges for n in (e.a, e.b)}, store)
    out: list[dict[str, Any]] = [
        {
            "rule": e.rule,
            "score": round(e.score, 4),
            "a": described[e.a],
            "b": described[e.b],
            "evidence": e.evidence,
        }
        for e in edges
    ]
    out.sort(key=lambda x: (-x["score"], x["rule"], x["a"]["key"], x["b"]["key"]))
    return out


def _describe(keys: set[str], store: Store) -> dict[str, dict[str, Any]]:
    shas = [split_key(k)[1] for k in keys if split_key(k)[0] is NodeKind.CONTENT]
    holders = store.graph.holders(shas)
    names = store.graph.names(shas)
    out: dict[str, dict[str, Any]] = {}
    for k in keys:
        kind, ident = split_key(k)
        d: dict[str, Any] = {"key": k, "kind": kind.value, "id": ident}
        if kind is NodeKind.CONTENT:
            d["sha256"] = ident
            d["name"] = names.get(ident)
            d["cases"] = [{"case": h.case, "agency": h.agency} for h in holders.get(ident, [])]
        out[k] = d
    return out


def case_graph(store: Store, case: str, rules: Sequence[str] | None = None, min_score: float = 0.0) -> Graph:
    """The case's contents, the entities and other cases' contents they link to, and the cases holding
    them (``holds`` edges), for export."""
    row = store.get_case(case)
    start = {content(s) for s in store.graph.case_contents(row.id).values()}
    edges = _filter(_edges_around(store, start), rules, min_score)
    keys = start | {n for e in edges for n in (e.a, e.b)}
    described = _describe(keys, store)
    people = store.graph.persons([split_key(k)[1] for k in keys if split_key(k)[0] is NodeKind.PERSON])
    nodes: dict[str, Node] = {}
    holds: list[Edge] = []
    for k, d in described.items():
        kind, ident = split_key(k)
        attrs: dict[str, Any] = {}
        label = ident
        if kind is NodeKind.CONTENT:
            label = d.get("name") or ident[:12]
            attrs = {"sha256": ident}
            for h in d["cases"]:
                ck = node_key(NodeKind.CASE, h["case"])
                nodes.setdefault(ck, Node(ck, f"{h['case']} ({h['agency']})", {"agency": h["agency"]}))
                holds.append(Edge(ck, k, "holds", 1.0, {}))
        elif kind is NodeKind.PERSON and ident in people:
            p = people[ident]
            attrs = {"role": p.role, "identified": p.identified}
        elif kind is NodeKind.PLACE:
            centre = next(
                (e.evidence.get("centroid") for e in edges if k in (e.a, e.b) and e.rule == "place"), None
            )
            if centre:
                attrs = {"lat": centre[0], "lon": centre[1]}
        nodes[k] = Node(k, label, attrs)
    return Graph(nodes, sorted([*edges, *holds], key=lambda e: e.identity))


def place_summaries(store: Store, case: str) -> list[PlaceSummary]:
    """The places (GPS clusters) of the case's media, with media counts and the cases that have media
    there."""
    row = store.get_case(case)
    start = {content(s) for s in store.graph.case_contents(row.id).values()}
    place_nodes = {e.b for e in store.graph.edges(start, ["place"])}
    if not place_nodes:
        return []
    edges = store.graph.edges(place_nodes, ["place"])
    members: dict[str, set[str]] = defaultdict(set)
    centre: dict[str, list[float]] = {}
    radius: dict[str, float] = {}
    for e in edges:
        members[e.b].add(split_key(e.a)[1])
        centre[e.b] = e.evidence.get("centroid") or [e.evidence["lat"], e.evidence["lon"]]
        radius[e.b] = float(e.evidence.get("radius_m", 0.0))
    holders = store.graph.holders({s for m in members.values() for s in m})
    out = []
    for p in sorted(members):
        cases = {h.case for s in members[p] for h in holders.get(s, [])}
        lat, lon = centre[p]
        n = len(members[p])
        out.append(PlaceSummary(split_key(p)[1], lat, lon, radius[p], n, tuple(sorted(cases)), f"{n} media"))
    return out


def graph_components(store: Store, case: str, min_score: float = 0.5) -> list[list[str]]:
    """Connected components of the case graph over links of at least ``min_score`` (candidate series and
    victim clusters), with more than one content."""
    g = case_graph(store, case, min_score=min_score)
    linking = [e for e in g.edges if e.rule != "holds"]
    groups = components([k for k in g.nodes if split_key(k)[0] is NodeKind.CONTENT], linking)
    return [c for c in groups if sum(split_key(k)[0] is NodeKind.CONTENT for k in c) > 1]


def explain(store: Store, case: str, source: str, target: str) -> list[dict[str, Any]]:
    """How two nodes of the case graph connect: the strongest chain of links, edge by edge."""
    g = case_graph(store, case)
    path = explain_path(g.nodes, g.edges, source, target)
    return [{"a": e.a, "b": e.b, "rule": e.rule, "score": e.score, "evidence": e.evidence} for e in path]


def case_suggestions(store: Store, case: str) -> list[dict[str, Any]]:
    """Suggested victims and series for the case's contents (see ``graph.rules.suggest``)."""
    row = store.get_case(case)
    start = {content(s) for s in store.graph.case_contents(row.id).values()}
    edges = _edges_around(store, start)
    reach = start | {n for e in edges for n in (e.a, e.b)}
    history = _assertions(store.graph.assertions(reach))
    return [s.__dict__ for s in suggest(edges, history) if s.subject in start]


def workboard(store: Store, settings: Settings, case: str) -> list[dict[str, Any]]:
    """The victim-identification worklist: the case's new media (no list hit) ranked by their strongest
    link to an unidentified victim (suggestions), then by links to anything of another case."""
    from jejak.services.triage import triage_case

    rows = {r["sha256"]: r for r in triage_case(store, settings, case)}
    suggestions = case_suggestions(store, case)
    people = store.graph.persons()
    by_content: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in suggestions:
        kind, ident = split_key(s["object"])
        if kind is NodeKind.PERSON and ident in people and people[ident].identified:
            continue
        by_content[split_key(s["subject"])[1]].append(s)
    row = store.get_case(case)
    alerts_by: dict[str, float] = defaultdict(float)
    for a in store.graph.alerts(row.id):
        sha = split_key(a["subject"])[1]
        alerts_by[sha] = max(alerts_by[sha], float(a["score"]))
    names = store.graph.names(rows)
    out = []
    for sha, r in rows.items():
        if r["status"] != "new":
            continue
        sugg = sorted(by_content.get(sha, []), key=lambda s: -s["score"])
        score = sugg[0]["score"] if sugg else 0.0
        out.append(
            {
                "sha256": sha,
                "name": names.get(sha),
                "score": score,
                "suggestions": sugg,
                "linked_elsewhere": round(alerts_by.get(sha, 0.0), 4),
            }
        )
    out.sort(key=lambda x: (-x["score"], -x["linked_elsewhere"], x["name"] or "", x["sha256"]))
    return out
