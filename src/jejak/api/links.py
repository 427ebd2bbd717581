"""Link analysis over HTTP: a case's links, alerts, assertions, graph and workboard; persons.

**What crosses agency lines.** The services answer about the whole store: a link's far end, an alert's
evidence or a person's history may belong to a case the caller cannot see (another agency's, unshared).
Every answer here goes through a ``Viewer`` of the caller first, which applies one rule:

- A content is *visible* when a case the caller can see (its agency's, or shared with it) holds it. A
  visible content is shown whole, but its file ``name`` is taken from the visible cases' files only.
- A content no visible case holds is *hidden*: its SHA-256, file names, paths, exhibits and metadata never
  leave the server. It appears as a pseudonym, ``content:hidden-N`` (numbered per response, the same
  number for the same content within one response), with ``hidden: true`` and the cases holding it
  (``cases: [{case, agency}]``): which case and agency to contact, as an alert says.
- A link (or graph edge) with a hidden end keeps its rule and score; its evidence is dropped (``{}``): it
  would give the other side's positions, time ranges, identifiers as written, or its investigators.
- Entities (cameras, places, identifiers, series, persons) keep their keys: a link reaches an entity only
  through a content of the caller's cases, so the entity is what the caller's own media show. A place's
  centroid is that of every medium within ``place_radius_m`` of it, the other side's included.
- An assertion made in a case the caller cannot see keeps its predicate, its date, its case's name and its
  entity object (``person:V-12``, so that a suggested victim can be followed up with that case); its author
  (``by``) and ``note`` are dropped, and hidden contents become pseudonyms (``redacted: true``).
- An alert into a case the caller cannot see keeps the alert contract (case, other case and agency, rule,
  score, subject, victim_identified, date); ``via`` is a pseudonym when it is the other side's content, and
  ``evidence`` is dropped (``other_visible: false``).
- A person (``GET /persons/{person}``) is "not found", exactly as an unknown key, unless the caller sees a
  case where it was asserted; its ``aliases``, ``external_ids`` and ``created_by`` are shown when the
  caller's agency keeps the person, or sees a case of that agency where it was asserted.

Asserting (``POST .../assertions``) is confined the same way: ``same``/``not_same`` must name a visible
content (otherwise "no content", as for an unknown SHA-256), and only the agency that keeps a person changes
whether it is identified, its aliases or external ids.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from jejak.api.auth import principal
from jejak.api.cases import read_case, viewed
from jejak.api.context import ctx
from jejak.api.paging import Page, page
from jejak.errors import AccessDenied, ConfigError, NotFound
from jejak.graph.export import places_geojson, places_kml, to_cytoscape, to_graphml
from jejak.model.graph import Edge, Graph, Node, NodeKind, split_key
from jejak.services import audit
from jejak.services.accounts import Perm, Principal, case_for, visible_cases
from jejak.services.graph import (
    alerts,
    assert_media,
    case_graph,
    person_info,
    place_summaries,
    query_links,
    workboard,
)
from jejak.services.media import resolve_content
from jejak.store import schema as t
from jejak.store.graph import Holder
from jejak.store.sql import Store

router = APIRouter(tags=["links"])

Caller = Annotated[Principal, Depends(principal)]
Paging = Annotated[Page, Depends(page)]
HIDDEN = "hidden-"
GRAPH_FORMATS = ("cytoscape", "graphml", "geojson", "kml")


# -- what one caller may see ------------------------------------------------------------------------------
class Viewer:
    """The caller's view of the link graph: its visible cases, the contents they hold, and the pseudonyms
    of the contents they do not hold (one Viewer per response)."""

    def __init__(self, store: Store, who: Principal) -> None:
        self.store = store
        self.everything = who.is_local
        cases = store.list_cases()
        ids = set() if self.everything else store.accounts.visible_case_ids(who.agency_id or 0)
        self.case_ids = {c.id for c in cases} if self.everything else ids
        self.cases = {c.name: c for c in cases if c.id in self.case_ids}
        self._holders: dict[str, list[Holder]] = {}
        self._pseudonyms: dict[str, str] = {}

    def sees_case(self, name: str | None) -> bool:
        return name is not None and name in self.cases

    def prime(self, keys: Iterable[str]) -> None:
        """Fetch the holders of the contents among ``keys`` (node keys or SHA-256s) in one query."""
        shas = {_sha(k) for k in keys} - {None} - set(self._holders)
        if shas:
            found = self.store.graph.holders(s for s in shas if s is not None)
            for s in shas:
                if s is not None:
                    self._holders[s] = found.get(s, [])

    def holders(self, sha: str) -> list[Holder]:
        self.prime([sha])
        return self._holders[sha]

    def sees_content(self, sha: str) -> bool:
        return self.everything or any(h.case_id in self.case_ids for h in self.holders(sha))

    def hidden(self, key: str | None) -> bool:
        """Whether ``key`` is a content node no visible case holds."""
        sha = _sha(key)
        return sha is not None and not self.sees_content(sha)

    def key(self, key: str) -> str:
        """``key`` itself, or the pseudonym of a hidden content."""
        if not self.hidden(key):
            return key
        sha = _sha(key) or ""
        if sha not in self._pseudonyms:
            self._pseudonyms[sha] = f"content:{HIDDEN}{len(self._pseudonyms) + 1}"
        return self._pseudonyms[sha]

    def contacts(self, key: str) -> list[dict[str, str]]:
        """The cases (and agencies) holding a content: whom to contact."""
        sha = _sha(key)
        return [{"case": h.case, "agency": h.agency} for h in self.holders(sha)] if sha else []

    def names(self, shas: Iterable[str]) -> dict[str, str]:
        """SHA-256 -> a file name it has in a visible case (the first by name)."""
        return file_names(self.store, shas, None if self.everything else self.case_ids)

    def evidence(self, a: str, b: str, evidence: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The evidence of a link between ``a`` and ``b`` the caller may see, and whether any was cut."""
        if self.hidden(a) or self.hidden(b):
            return {}, bool(evidence)
        if "by" in evidence and not self.sees_case(evidence.get("case")):  # an assertion of another case
            case = evidence.get("case")
            return ({"case": case, "at": evidence.get("at")} if case else {}), True
        return evidence, False


def _sha(key: str | None) -> str | None:
    """The SHA-256 of a content node key (or of a bare SHA-256); None for anything else."""
    if key is None:
        return None
    if ":" not in key:
        return key if len(key) == 64 else None
    try:
        kind, ident = split_key(key)
    except ValueError:
        return None
    return ident if kind is NodeKind.CONTENT and not ident.startswith(HIDDEN) else None


def file_names(store: Store, shas: Iterable[str], case_ids: set[int] | None) -> dict[str, str]:
    """SHA-256 -> the first file name (by name) it was found under in the given cases (None: any)."""
    c, fi, ex = t.content.c, t.file_instance.c, t.exhibit.c
    keys = sorted(set(shas))
    out: dict[str, str] = {}
    if case_ids is not None and not case_ids:
        return out
    with store.engine.connect() as conn:
        for i in range(0, len(keys), 500):
            q = (
                select(c.sha256, func.min(fi.name))
                .join(t.file_instance, fi.content_id == c.id)
                .join(t.exhibit, ex.id == fi.exhibit_id)
                .where(c.sha256.in_(keys[i : i + 500]))
                .group_by(c.sha256)
            )
            if case_ids is not None:
                q = q.where(ex.case_id.in_(sorted(case_ids)))
            out.update({str(a): str(b) for a, b in conn.execute(q)})
    return out


# -- views of the services' records -----------------------------------------------------------------------
def link_view(v: Viewer, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``query_links`` records as the caller may see them."""
    v.prime(k for x in rows for k in (x["a"]["key"], x["b"]["key"]))
    names = v.names(s for x in rows for s in (_sha(x["a"]["key"]), _sha(x["b"]["key"])) if s)
    out = []
    for x in rows:
        evidence, cut = v.evidence(x["a"]["key"], x["b"]["key"], x["evidence"])
        ends = sorted([_end(v, x["a"], names), _end(v, x["b"], names)], key=lambda e: str(e["key"]))
        out.append(
            {
                "rule": x["rule"],
                "score": x["score"],
                "a": ends[0],
                "b": ends[1],
                "evidence": evidence,
                "redacted": cut,
            }
        )
    return out


def _end(v: Viewer, end: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    key = str(end["key"])
    if end.get("kind") != NodeKind.CONTENT.value:
        return {**end, "hidden": False}
    sha = str(end["sha256"])
    if v.hidden(key):
        alias = v.key(key)
        return {
            "key": alias,
            "kind": "content",
            "id": split_key(alias)[1],
            "sha256": None,
            "name": None,
            "cases": v.contacts(key),
            "hidden": True,
        }
    return {**end, "name": names.get(sha), "cases": v.contacts(key), "hidden": False}


def alert_view(v: Viewer, a: dict[str, Any]) -> dict[str, Any]:
    if v.sees_case(a["other_case"]):
        return {**a, "other_visible": True}
    return {**a, "via": v.key(a["via"]), "evidence": {}, "other_visible": False}


def assertion_view(v: Viewer, a: dict[str, Any]) -> dict[str, Any]:
    ends = {"subject": v.key(a["subject"]), "object": v.key(a["object"])}
    if v.sees_case(a.get("case")):
        return {**a, **ends, "redacted": False}
    return {**a, **ends, "by": None, "note": None, "redacted": True}


def suggestion_view(v: Viewer, s: dict[str, Any]) -> dict[str, Any]:
    return {
        **s,
        "subject": v.key(s["subject"]),
        "source": v.key(s["source"]),
        "via": v.key(s["via"]),
        "source_cases": v.contacts(s["source"]),
    }


def graph_view(v: Viewer, g: Graph) -> Graph:
    """The graph with hidden contents as pseudonyms (no name, no SHA-256), their edges' evidence dropped,
    and visible contents labelled with their names in visible cases."""
    v.prime([*g.nodes, *(k for e in g.edges for k in (e.a, e.b))])
    names = v.names(s for s in (_sha(k) for k in g.nodes) if s)
    nodes: dict[str, Node] = {}
    for key, node in g.nodes.items():
        sha = _sha(key)
        if sha is None:
            nodes[key] = node
        elif v.hidden(key):
            alias = v.key(key)
            where = ", ".join(sorted({c["case"] for c in v.contacts(key)}))
            nodes[alias] = Node(alias, f"content of {where}" if where else "content", {"hidden": True})
        else:
            nodes[key] = Node(key, names.get(sha) or sha[:12], {**node.attrs, "hidden": False})
    edges = []
    for e in g.edges:
        evidence, _cut = v.evidence(e.a, e.b, e.evidence)
        edges.append(Edge(v.key(e.a), v.key(e.b), e.rule, e.score, evidence))
    return Graph(nodes, sorted(edges, key=lambda e: e.identity))


def person_view(v: Viewer, who: Principal, info: dict[str, Any]) -> dict[str, Any]:
    history = info["assertions"]
    kept_by = info.get("agency")
    details = (
        v.everything
        or kept_by == who.agency
        or any(v.sees_case(a["case"]) and v.cases[a["case"]].agency == kept_by for a in history)
    )
    out = {**info, "assertions": [assertion_view(v, a) for a in history], "redacted": not details}
    if not details:
        out.update(aliases=None, external_ids=None, created_by=None)
    return out


# -- endpoints --------------------------------------------------------------------------------------------
def _rules(rules: str | None) -> list[str] | None:
    return [r.strip() for r in rules.split(",") if r.strip()] if rules else None


RulesQuery = Annotated[
    str | None, Query(description="comma-separated rules to keep (pdq, camera, place, identifier...)")
]
MinScore = Annotated[float, Query(ge=0.0, le=1.0, description="only links at least this strong")]


@router.get("/cases/{case}/links")
def case_links(
    case: str,
    request: Request,
    who: Caller,
    pg: Paging,
    rules: RulesQuery = None,
    min_score: MinScore = 0.0,
) -> dict[str, Any]:
    """Links around the case's media (the ``jejak links --case`` records), strongest first."""
    store = ctx(request).store
    row = read_case(request, who, case)
    rows = query_links(store, case=row.name, rules=_rules(rules), min_score=min_score)
    return pg.of(link_view(Viewer(store, who), rows))


@router.get("/cases/{case}/alerts")
def case_alerts(case: str, request: Request, who: Caller, pg: Paging) -> dict[str, Any]:
    """Links from the case into other cases: what links, how strongly, and whom to contact."""
    store = ctx(request).store
    row = read_case(request, who, case)
    v = Viewer(store, who)
    return pg.of([alert_view(v, a) for a in alerts(store, row.name)])


@router.get("/alerts")
def all_alerts(request: Request, who: Caller, pg: Paging) -> dict[str, Any]:
    """The alerts of every case the caller can see, strongest first."""
    store = ctx(request).store
    names = {c.name for c in visible_cases(store, who)}
    viewed(request, who, None, cases=sorted(names))
    v = Viewer(store, who)
    return pg.of([alert_view(v, a) for a in alerts(store) if a["case"] in names])


@router.get("/cases/{case}/assertions")
def case_assertions(case: str, request: Request, who: Caller, pg: Paging) -> dict[str, Any]:
    """Every assertion about the case's media (as subject or object), oldest first."""
    store = ctx(request).store
    row = read_case(request, who, case)
    nodes = {f"content:{s}" for s in store.graph.case_contents(row.id).values()}
    v = Viewer(store, who)
    return pg.of([assertion_view(v, a.as_dict()) for a in store.graph.assertions(nodes)])


class AssertionIn(BaseModel):
    """What ``jejak assert media REF --case C ...`` takes."""

    model_config = ConfigDict(extra="forbid")
    content: str = Field(
        min_length=1, max_length=1000, description="a SHA-256, or the name of one of the case's files"
    )
    victim: str | None = Field(None, max_length=100, description="it shows this victim (e.g. V-12)")
    offender: str | None = Field(None, max_length=100, description="it shows this offender")
    series: str | None = Field(None, max_length=500, description="it belongs to this series")
    same: str | None = Field(None, max_length=1000, description="it is the same as this content")
    not_same: str | None = Field(None, max_length=1000, description="reject a link to this content")
    reject: bool = Field(False, description="reject the victim/offender/series instead")
    identified: bool | None = Field(None, description="whether the person is identified")
    aliases: list[str] = Field(default_factory=list, max_length=50)
    external_ids: list[str] = Field(default_factory=list, max_length=50)
    note: str | None = Field(None, max_length=4000)


@router.post("/cases/{case}/assertions", status_code=201)
def add_assertion(case: str, body: AssertionIn, request: Request, who: Caller) -> dict[str, Any]:
    """Assert (or reject) what a medium of the case shows, as the caller; alerts follow at once."""
    c = ctx(request)
    row = case_for(c.store, who, case, write=True)
    v = Viewer(c.store, who)
    for other in (body.same, body.not_same):
        if other:
            sha = resolve_content(c.store, row.name, other)
            if not v.sees_content(sha):
                raise NotFound(f"no content with SHA-256 {sha}")  # as for one that does not exist
    changes_person = body.identified is not None or body.aliases or body.external_ids
    for key in (body.victim, body.offender):
        if key and changes_person and not who.is_local:
            kept = c.store.graph.persons([key.strip()]).get(key.strip())
            if kept is not None and kept.agency != who.agency:
                raise AccessDenied(
                    f"person {key.strip()!r} is kept by another agency: assert it without identified, "
                    "aliases or external ids (only that agency changes them)"
                )
    out = assert_media(
        c.store,
        c.settings,
        row.name,
        body.content,
        victim=body.victim,
        offender=body.offender,
        series=body.series,
        same=body.same,
        not_same=body.not_same,
        reject=body.reject,
        identified=body.identified,
        aliases=body.aliases,
        external_ids=body.external_ids,
        note=body.note,
        by=who.name,
    )
    audit.record(
        c.store,
        who,
        "assertion",
        case=row.name,
        target=out["subject"],
        detail={"assertions": out["assertions"]},
    )
    return out


@router.get("/cases/{case}/graph", response_model=None)
def graph(
    case: str,
    request: Request,
    who: Caller,
    format: Annotated[str, Query(description=" | ".join(GRAPH_FORMATS))] = "cytoscape",
    rules: RulesQuery = None,
    min_score: MinScore = 0.0,
) -> dict[str, Any] | Response:
    """The case's link graph (Cytoscape.js JSON or GraphML), or its places (GeoJSON or KML)."""
    if format not in GRAPH_FORMATS:
        raise ConfigError(f"format must be one of {', '.join(GRAPH_FORMATS)}, not {format!r}")
    store = ctx(request).store
    row = read_case(request, who, case)
    if format == "geojson":
        return Response(
            _json_bytes(places_geojson(place_summaries(store, row.name))), media_type="application/geo+json"
        )
    if format == "kml":
        return Response(
            places_kml(place_summaries(store, row.name)), media_type="application/vnd.google-earth.kml+xml"
        )
    g = graph_view(Viewer(store, who), case_graph(store, row.name, _rules(rules), min_score))
    if format == "cytoscape":
        return to_cytoscape(g)
    out = io.BytesIO()
    to_graphml(g, out)
    return Response(out.getvalue(), media_type="application/graphml+xml")


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


@router.get("/cases/{case}/workboard")
def case_workboard(case: str, request: Request, who: Caller, pg: Paging) -> dict[str, Any]:
    """The victim-identification worklist of the case's new media (the ``jejak workboard`` records)."""
    c = ctx(request)
    row = read_case(request, who, case)
    rows = workboard(c.store, c.settings, row.name)
    names = file_names(c.store, (r["sha256"] for r in rows), {row.id})
    v = Viewer(c.store, who)
    v.prime(k for r in rows for s in r["suggestions"] for k in (s["source"], s["via"]))
    return pg.of(
        [
            {
                **r,
                "name": names.get(r["sha256"]),
                "suggestions": [suggestion_view(v, s) for s in r["suggestions"]],
            }
            for r in rows
        ]
    )


@router.get("/persons/{person}")
def person(person: str, request: Request, who: Caller) -> dict[str, Any]:
    """A person and every assertion about them; "not found" unless the caller sees a case where the person
    was asserted."""
    who.require(Perm.cases_read)
    store = ctx(request).store
    missing = NotFound(f"no person {person!r}")
    try:
        info = person_info(store, person)
    except NotFound:
        raise missing from None
    v = Viewer(store, who)
    if not v.everything and not any(v.sees_case(a["case"]) for a in info["assertions"]):
        raise missing
    viewed(request, who, None, person=person)
    return person_view(v, who, info)


def mount(app: FastAPI) -> None:
    app.include_router(router)
