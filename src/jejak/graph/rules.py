"""Link rules over facts the store holds, and what follows from links: alerts and suggestions.

Every rule gives ``Edge``s (``model.graph``) with its name, a score in [0, 1] and its evidence:

- ``camera`` (``graph.camera``): content -> camera, by body serial (0.95), ImageUniqueID family (0.6),
  make and model alone (0.1: thousands of identical phones).
- ``place`` (``graph.places``): content -> GPS cluster, 1.0 within 25 m of its centre, 0.5 at the radius.
- ``identifier``: content -> online identifier found in its text (``graph.found``), scored by kind: a
  chat account or invite link names one group or person (0.9), a phone number or e-mail one subscriber
  (0.8), an onion address one service (0.7), a username one handle on some platform (0.6), a URL a page
  anyone may have saved (0.3).
- ``series``: content -> series named by the list entry it hit (0.9), or asserted (1.0).
- ``pdq``: content <-> content of another case within the PDQ threshold, 1 - distance/64 (a distance of
  31 gives 0.52).
- ``victim``, ``offender``, ``series`` (asserted), ``same``: what investigators asserted (1.0); the latest
  assertion on a (subject, predicate, object) holds, so a rejection (``negated``) removes the link and
  keeps it removed.
- Links found by the video and audio stages between two contents (``vpdq``, ``chromaprint``,
  ``orb.frame``, ``orb.frames``) live in ``media_link`` and join the graph as they are.

**Alerts** (``cross_case``): a link from a content of one case to a content another case holds, directly
(the same bytes, a content-content edge) or through a shared entity (a camera, a place, an identifier, a
series, a person) whose weakest edge on the path scores at least ``min_score``.

**Suggestions** (``suggest``): a content linked to a content asserted as showing a person (or belonging to
a series) by a strong rule is proposed for the same person or series, with the link's score, until an
investigator confirms or rejects it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from jejak.graph.identifiers import extract
from jejak.index.codes import pdq_hex_to_codes
from jejak.index.pdq import PdqIndex
from jejak.model.graph import Edge, NodeKind, node_key, split_key

IDENTIFIER_SCORES: Mapping[str, float] = {
    "account": 0.9,
    "invite": 0.9,
    "phone": 0.8,
    "email": 0.8,
    "onion": 0.7,
    "username": 0.6,
    "url": 0.3,
}
LIST_SERIES_SCORE = 0.9
ASSERTED = 1.0
PERSON_PREDICATES = ("victim", "offender")
STRONG = 0.5
"""Suggestions follow links of at least this score."""


def content(sha256: str) -> str:
    return node_key(NodeKind.CONTENT, sha256)


def identifier_edges(rows: Iterable[Mapping[str, Any]]) -> list[Edge]:
    """content -> ``identifier:<kind>:<value>`` for rows of ``store.graph.identifiers``."""
    edges: dict[tuple[str, str, str], Edge] = {}
    for r in rows:
        kind, value = str(r["kind"]), str(r["value"])
        score = IDENTIFIER_SCORES.get(kind, 0.3)
        evidence = {"kind": kind, "source": r["source"], "count": r["count"], "raw": r["raw"]}
        if r.get("first_offset") is not None:
            evidence["offset"] = r["first_offset"]
        e = Edge(
            content(str(r["sha256"])),
            node_key(NodeKind.IDENTIFIER, f"{kind}:{value}"),
            "identifier",
            score,
            evidence,
        )
        edges.setdefault(e.identity, e)
    return sorted(edges.values(), key=lambda e: e.identity)


def name_identifiers(names: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Identifier rows (as ``identifier_edges`` reads them) found in file names: "saved from @handle.jpg",
    an e-mail address or an international phone number in a name (national numbers are not read in
    names: camera counters and dates look like them)."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for sha, name in names:
        stem = name.rsplit(".", 1)[0] if "." in name[1:] else name  # "x@y.jpg": the extension is not a handle
        for ident in extract(stem.replace("_@", " @"), None, limit=20):  # "saved_from_@x": _ joins words
            key = (sha, ident.kind, ident.value)
            if key in rows:
                rows[key]["count"] += 1
            else:
                rows[key] = {
                    "sha256": sha,
                    "kind": ident.kind,
                    "value": ident.value,
                    "source": "name",
                    "count": 1,
                    "raw": ident.raw,
                    "first_offset": ident.start,
                }
    return list(rows.values())


def series_edges(rows: Iterable[tuple[str, str, str]]) -> list[Edge]:
    """content -> ``series:<name>`` for (SHA-256, series, list) of list hits that name a series."""
    by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sha, series, list_name in rows:
        by[(sha, series.strip())].append(list_name)
    return [
        Edge(
            content(sha),
            node_key(NodeKind.SERIES, series),
            "series",
            LIST_SERIES_SCORE,
            {"lists": sorted(lists)},
        )
        for (sha, series), lists in sorted(by.items())
        if series
    ]


def pdq_edges(
    queries: Sequence[tuple[str, str]], others: Sequence[tuple[str, str]], threshold: int
) -> list[Edge]:
    """content <-> content for each (SHA-256, PDQ) of ``queries`` within ``threshold`` of one of
    ``others`` (another SHA-256), the closest pair of each two contents."""
    if not queries or not others:
        return []
    index = PdqIndex.build(pdq_hex_to_codes([h for _s, h in others]))
    best: dict[tuple[str, str], int] = {}
    for (sha, _h), (ids, dists) in zip(
        queries, index.search(pdq_hex_to_codes([h for _s, h in queries]), threshold), strict=True
    ):
        for i, d in zip(ids.tolist(), dists.tolist(), strict=True):
            other = others[int(i)][0]
            if other == sha:
                continue
            pair = (min(sha, other), max(sha, other))
            if pair not in best or d < best[pair]:
                best[pair] = int(d)
    return [
        Edge(content(a), content(b), "pdq", round(1.0 - d / 64.0, 4), {"distance": d})
        for (a, b), d in sorted(best.items())
        if 1.0 - d / 64.0 > 0
    ]


@dataclass(frozen=True)
class Assertion:
    subject: str
    predicate: str
    object: str
    negated: bool
    by: str
    at: str
    case: str | None = None
    note: str | None = None


def current(assertions: Iterable[Assertion]) -> dict[tuple[str, str, str], Assertion]:
    """The latest assertion on each (subject, predicate, object), in the order given (oldest first)."""
    out: dict[tuple[str, str, str], Assertion] = {}
    for a in assertions:
        out[(a.subject, a.predicate, a.object)] = a
    return out


def asserted_edges(assertions: Iterable[Assertion]) -> list[Edge]:
    """Edges of the assertions that hold (the latest on their triple is not a rejection)."""
    edges = []
    for (s, p, o), a in sorted(current(assertions).items()):
        if not a.negated and s != o:
            evidence = {"by": a.by, "at": a.at, "case": a.case, "note": a.note}
            edges.append(Edge(s, o, p, ASSERTED, evidence))
    return edges


def rejected(assertions: Iterable[Assertion]) -> set[tuple[str, str]]:
    """Pairs of nodes an investigator said are not linked (the latest word on them is a rejection)."""
    return {(min(s, o), max(s, o)) for (s, _p, o), a in current(assertions).items() if a.negated}


# -- alerts ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossLink:
    """A content of the case linked to a content of another case: directly (``via`` is that content) or
    through a shared entity (``via`` is the entity's key), by ``rule`` with ``score``."""

    subject: str
    other: str
    via: str
    rule: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def cross_links(case_contents: Iterable[str], edges: Iterable[Edge], min_score: float) -> list[CrossLink]:
    """Links from the case's content nodes to other content nodes: over content-content edges, and over
    entity nodes (the other side's edge into the same entity); the weaker edge's score and rule name the
    link (an entity path is as strong as its weakest edge). Edges below ``min_score`` are not followed."""
    mine = set(case_contents)
    by_node: dict[str, list[Edge]] = defaultdict(list)
    for e in edges:
        if e.score >= min_score:
            by_node[e.a].append(e)
            by_node[e.b].append(e)
    found: dict[tuple[str, str, str], CrossLink] = {}

    def keep(link: CrossLink) -> None:
        key = (link.subject, link.other, link.via)
        if key not in found or link.score > found[key].score:
            found[key] = link

    for node in sorted(mine):
        for e in by_node.get(node, ()):
            other = e.b if e.a == node else e.a
            kind = split_key(other)[0]
            if kind is NodeKind.CONTENT:
                if other not in mine:
                    keep(CrossLink(node, other, other, e.rule, e.score, dict(e.evidence)))
                continue
            for e2 in by_node.get(other, ()):
                far = e2.b if e2.a == other else e2.a
                if far == node or far in mine or split_key(far)[0] is not NodeKind.CONTENT:
                    continue
                weak = e if e.score <= e2.score else e2
                keep(CrossLink(node, far, other, weak.rule, min(e.score, e2.score), {"rule": e.rule}))
    return sorted(found.values(), key=lambda x: (-x.score, x.subject, x.other, x.via))


# -- suggestions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """``subject`` (a content) may show ``object`` (a person or series) as ``predicate``: it is linked by
    ``rule`` with ``score`` to ``source``, which was asserted so."""

    subject: str
    predicate: str
    object: str
    score: float
    rule: str
    source: str
    via: str


def suggest(
    edges: Iterable[Edge], assertions: Iterable[Assertion], min_score: float = STRONG
) -> list[Suggestion]:
    """Contents linked by a strong rule to a content asserted as showing a person or belonging to a
    series, proposed for the same, best link first; never one already asserted or rejected."""
    state = current(assertions)
    held = [
        (s, p, o) for (s, p, o), a in state.items() if not a.negated and p in (*PERSON_PREDICATES, "series")
    ]
    decided = {(s, p, o) for (s, p, o) in state}
    no = rejected(assertions)
    by_node: dict[str, list[Edge]] = defaultdict(list)
    for e in edges:
        if e.score >= min_score and e.rule not in PERSON_PREDICATES:  # a suggestion never hops via a person
            by_node[e.a].append(e)
            by_node[e.b].append(e)
    best: dict[tuple[str, str, str], Suggestion] = {}
    for source, predicate, obj in held:
        for e in by_node.get(source, ()):
            mid = e.b if e.a == source else e.a
            paths: list[tuple[str, float, str, str]] = []
            if split_key(mid)[0] is NodeKind.CONTENT:
                paths.append((mid, e.score, e.rule, mid))
            elif split_key(mid)[0] not in (NodeKind.PERSON, NodeKind.SERIES):
                for e2 in by_node.get(mid, ()):
                    far = e2.b if e2.a == mid else e2.a
                    if far != source and split_key(far)[0] is NodeKind.CONTENT:
                        weak = e if e.score <= e2.score else e2
                        paths.append((far, min(e.score, e2.score), weak.rule, mid))
            for target, score, rule, via in paths:
                triple = (target, predicate, obj)
                if triple in decided or (min(target, source), max(target, source)) in no:
                    continue
                s = Suggestion(target, predicate, obj, round(score, 4), rule, source, via)
                if triple not in best or s.score > best[triple].score:
                    best[triple] = s
    return sorted(best.values(), key=lambda s: (-s.score, s.object, s.subject))


def to_networkx(nodes: Iterable[str], edges: Iterable[Edge]) -> nx.MultiGraph:
    """The graph for networkx's algorithms (components, shortest paths); each edge keyed by its rule."""
    g = nx.MultiGraph()
    g.add_nodes_from(nodes)
    for e in edges:
        g.add_edge(e.a, e.b, key=e.rule, rule=e.rule, score=e.score, weight=1.0 - e.score + 1e-3)
    return g


def components(nodes: Iterable[str], edges: Iterable[Edge]) -> list[list[str]]:
    """Connected components (largest first, each sorted): candidate series and victim clusters."""
    g = to_networkx(nodes, edges)
    return sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c[0]))


def explain_path(nodes: Iterable[str], edges: Iterable[Edge], source: str, target: str) -> list[Edge]:
    """The strongest chain of links from ``source`` to ``target`` (shortest path with each edge weighing
    1 - score), as edges in path order; empty when they are not connected."""
    edges = list(edges)
    g = to_networkx(nodes, edges)
    if source not in g or target not in g:
        return []
    try:
        path = nx.shortest_path(g, source, target, weight="weight")
    except nx.NetworkXNoPath:
        return []
    best: dict[tuple[str, str], Edge] = {}
    for e in edges:
        pair = (e.a, e.b)
        if pair not in best or e.score > best[pair].score:
            best[pair] = e
    return [best[(min(x, y), max(x, y))] for x, y in itertools.pairwise(path)]
