"""Isolation by agency, table-driven over every route of the app.

Every method and path of ``create_app`` (whichever module adds it) is called as every role of Polri ID
("id") with Politie NL's ("nl") identifiers in its path parameters and a plausible body built from the
route's OpenAPI schema. A route naming an NL object (its case, exhibit, content, person, job, user,
token) must refuse (4xx); any other may answer, but no answer (body or headers) may carry NL's secrets:
NL-1's file names, SHA-256s, exhibit and chat's phone number, NL's user names and tokens. A secret the
request itself carried (a SHA-256 in the path, echoed by a "not found") does not count for that request.
Then NL's rows (its cases, exhibits, files, contents, links, alerts, assertions, shares, users, tokens,
jobs) must be exactly as before. Reads go round a second time on Polri ID's own cases, where links and
alerts lead into NL-1: what crosses must be filtered.

A path parameter this table cannot fill fails the test: a new route cannot escape it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from sqlalchemy import MetaData, Table, or_, select
from starlette.routing import Mount

from jejak.services import accounts
from jejak.store import schema as t
from tests.api.conftest import ROLES, World, make_world

NL_FILES = ("IMG_0001.jpg", "WhatsApp Chat with Dewi.txt", "VID_0003.mp4")
NL_TEXT = ("+6281234567890", "812-3456-7890")  # the phone number only NL-1's chat holds
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
STRICT = {"case", "exhibit", "sha256", "person", "job_id", "user_name", "token_id"}
"""Path parameters that name an NL object: a route with one of them must refuse (4xx) the other agency."""


@dataclass
class Iso:
    world: World
    values: dict[str, str]  # path parameter -> NL's identifier
    secrets: list[str]


@pytest.fixture(scope="module")
def iso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Iso]:
    w = make_world(Path(tmp_path_factory.mktemp("api-isolation")))
    store = w.store
    nl_case = store.get_case("NL-1")
    now = datetime.now(UTC).replace(tzinfo=None)
    folder = str(w.root / "evidence" / "nl-phone")
    job_id = store.jobs.add(
        nl_case.id, "ingest", {"sources": [folder], "exhibit": "nl-phone"}, "nl-investigator"
    )
    claimed = store.jobs.claim_next()  # finished: no runner will take it up
    assert claimed is not None and claimed.id == job_id
    store.jobs.finish(job_id, {"files": 5})
    store.lists.create("nl-known", False, None, None, None, "nl-investigator", now)
    nl_token = store.accounts.tokens(store.accounts.user("nl-admin").id)[0]
    nl_only = _only_nl(w)
    values = {
        "case": "NL-1",
        "exhibit": "nl-phone",
        "sha256": w.sha("NL-1", "IMG_0001.jpg"),
        "agency": "Politie NL",
        "person": "V-12",
        "job_id": str(job_id),
        "list_name": "nl-known",
        "user_name": "nl-investigator",
        "token_id": str(nl_token.id),
    }
    nl_users = [w.user("nl", r) for r in ROLES]
    nl_tokens = [tok for (key, _r), tok in w.tokens.items() if key == "nl"]
    prefixes = [p.prefix for u in nl_users for p in store.accounts.tokens(store.accounts.user(u).id)]
    secrets = [*NL_FILES, *NL_TEXT, "nl-phone", *nl_only, *nl_users, *nl_tokens, *prefixes]
    yield Iso(w, values, secrets)
    w.client.close()
    w.store.close()


def _only_nl(w: World) -> list[str]:
    shas = {str(r["sha256"]) for r in w.store.iter_files(w.store.get_case("NL-1").id) if r["sha256"]}
    for case in ("ID-7", "ID-9"):
        shas -= {str(r["sha256"]) for r in w.store.iter_files(w.store.get_case(case).id)}
    return sorted(shas)


# -- the table --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    method: str
    template: str
    params: tuple[str, ...]


def routes(app: Any) -> list[Any]:
    """``app.routes``, routers included by ``include_router`` expanded (FastAPI keeps them as one entry
    each and lists their routes through ``iter_route_contexts``)."""
    expand = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(expand(app.routes)) if expand else list(app.routes)


def calls(iso: Iso) -> list[Call]:
    """Every method and path of the app (a mounted app by its path)."""
    out: list[Call] = []
    for route in routes(iso.world.client.app):
        path = str(getattr(route, "path", None) or "")
        assert path, f"a route without a path: {route!r}"
        params = tuple(m.group(1) for m in PARAM.finditer(path))
        if isinstance(getattr(route, "original_route", route), Mount):
            out.append(Call("GET", path.rstrip("/") + "/", params))
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                out.append(Call(method, path, params))
    return sorted(set(out), key=lambda c: (c.template, c.method))


def unknown_params(iso: Iso) -> list[str]:
    return sorted(
        {f"{c.method} {c.template}: {{{p}}}" for c in calls(iso) for p in c.params if p not in iso.values}
    )


def test_every_path_parameter_can_be_filled(iso: Iso) -> None:
    missing = unknown_params(iso)
    assert not missing, (
        "routes with path parameters the isolation table does not know (add an NL identifier for each to "
        f"the `values` of tests/api/test_isolation.py): {missing}"
    )


def test_the_table_holds_the_case_routes(iso: Iso) -> None:
    got = {(c.method, c.template) for c in calls(iso)}
    assert {
        ("GET", "/cases/{case}/files/{sha256}"),
        ("POST", "/cases/{case}/assertions"),
        ("DELETE", "/cases/{case}/shares/{agency}"),
        ("GET", "/persons/{person}"),
        ("GET", "/alerts"),
    } <= got


def fill(template: str, values: dict[str, str]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", value).replace("{" + name + ":path}", value)
    return path


FIELDS = {
    "agency": "Politie NL",
    "case": "NL-1",
    "name": "NL-1",
    "exhibit": "nl-phone",
    "person": "V-12",
    "victim": "V-12",
    "offender": "O-1",
    "series": "S-1",
    "user": "nl-investigator",
    "user_name": "nl-investigator",
    "username": "nl-investigator",
    "list": "nl-known",
    "list_name": "nl-known",
}


def body_for(iso: Iso, call: Call) -> dict[str, Any]:
    """Keyword arguments for the request: a JSON body, a form with a file, or raw bytes, as the route's
    OpenAPI operation asks; its fields named like NL's identifiers get them."""
    if call.method in ("GET", "HEAD", "OPTIONS"):
        return {}
    spec = iso.world.client.app.openapi()  # type: ignore[attr-defined]
    op = spec.get("paths", {}).get(call.template, {}).get(call.method.lower(), {})
    content = op.get("requestBody", {}).get("content", {})
    sha = iso.values["sha256"]
    folder = str(iso.world.root / "evidence" / "nl-phone")
    known = FIELDS | {"content": sha, "sha256": sha, "same": sha, "not_same": sha, "hash": sha}
    known |= {"sources": folder, "source": folder, "path": folder}
    if not op:
        return {"json": known}
    if "application/json" in content:
        return {"json": _sample(spec, content["application/json"].get("schema", {}), "", known)}
    if "multipart/form-data" in content or "application/x-www-form-urlencoded" in content:
        kind = (
            "multipart/form-data" if "multipart/form-data" in content else "application/x-www-form-urlencoded"
        )
        schema = _resolve(spec, content[kind].get("schema", {}))
        files, data = {}, {}
        for name, raw in schema.get("properties", {}).items():
            prop = _resolve(spec, raw)
            if prop.get("format") == "binary" or prop.get("contentMediaType"):
                files[name] = ("probe.bin", b"probe", "application/octet-stream")
            else:
                data[name] = str(_sample(spec, prop, name, known))
        return {"files": files, "data": data} if files else {"data": data}
    if content:
        return {"content": b"probe", "headers": {"content-type": next(iter(content))}}
    return {}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _sample(spec: dict[str, Any], schema: dict[str, Any], name: str, known: dict[str, str]) -> Any:
    schema = _resolve(spec, schema)
    if name in known and schema.get("type", "string") == "string":
        return known[name]
    for alt in schema.get("anyOf", []) + schema.get("oneOf", []):
        if _resolve(spec, alt).get("type") != "null":
            return _sample(spec, alt, name, known)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        wanted = [p for p in props if p in schema.get("required", []) or p in known]
        return {p: _sample(spec, props[p], p, known) for p in wanted}
    if kind == "array":
        return [_sample(spec, schema.get("items", {}), name, known)] if name in known else []
    return {"string": "probe", "integer": 1, "number": 0.5, "boolean": False}.get(str(kind), "probe")


# -- NL's rows, before and after --------------------------------------------------------------------------
def nl_rows(w: World) -> dict[str, list[str]]:
    """Every row of NL's: by case, agency, exhibit, user, content held by NL only, or node key thereof."""
    store = w.store
    md = MetaData()
    md.reflect(store.engine)
    with store.engine.connect() as conn:
        agency = conn.execute(select(t.agency.c.id).where(t.agency.c.name == "Politie NL")).scalar_one()
        cases = set(conn.execute(select(t.case.c.id).where(t.case.c.agency_id == agency)).scalars())
        exhibits = set(conn.execute(select(t.exhibit.c.id).where(t.exhibit.c.case_id.in_(cases))).scalars())
        users = set(conn.execute(select(t.app_user.c.id).where(t.app_user.c.agency_id == agency)).scalars())
        shas = _only_nl(w)
        contents = set(conn.execute(select(t.content.c.id).where(t.content.c.sha256.in_(shas))).scalars())
        keys = [f"content:{s}" for s in shas]
        by_column: dict[str, Any] = {
            "case_id": cases,
            "other_case_id": cases,
            "agency_id": {agency},
            "exhibit_id": exhibits,
            "user_id": users,
            "content_id": contents,
            "content_a": contents,
            "content_b": contents,
            "a": keys,
            "b": keys,
            "subject": keys,
            "object": keys,
        }
        by_table: dict[str, tuple[str, Any]] = {
            "agency": ("id", {agency}),
            "cases": ("id", cases),
            "exhibit": ("id", exhibits),
            "app_user": ("id", users),
            "content": ("id", contents),
        }
        out: dict[str, list[str]] = {}
        for name, table in sorted(md.tables.items()):
            if name.startswith(("audit", "alembic")):
                continue
            conds = [_in(table, col, vals) for col, vals in by_column.items() if col in table.c]
            if name in by_table:
                conds.append(_in(table, *by_table[name]))
            if conds:
                rows = conn.execute(select(table).where(or_(*conds))).all()
                out[name] = sorted(repr(tuple(r)) for r in rows)
    return out


def _in(table: Table, column: str, values: Any) -> Any:
    return table.c[column].in_(sorted(values))


def leaks(iso: Iso, sent: str, text: str) -> list[str]:
    return [s for s in iso.secrets if s in text and s not in sent]


def request(
    iso: Iso, role: str, call: Call, values: dict[str, str], query: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """(status, what was sent, what came back) of one call with a fresh token of id's ``role``."""
    w = iso.world
    token, _row = accounts.create_token(w.store, w.user("id", role), None)
    path = fill(call.template, values)
    kw = body_for(iso, call)
    headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
    r = w.client.request(call.method, path, headers=headers, params=query, **kw)
    sent = path + json.dumps({k: v for k, v in kw.items() if k != "files"}, default=str)
    back = r.content.decode("utf-8", "replace") + json.dumps(dict(r.headers))
    return r.status_code, sent, back


def test_other_agency_gets_nothing_of_nl(iso: Iso) -> None:
    missing = unknown_params(iso)
    if missing:
        pytest.fail(f"path parameters without an NL identifier in the isolation table: {missing}")
    before = nl_rows(iso.world)
    problems: list[str] = []
    for call in calls(iso):
        for role in ROLES:
            status, sent, back = request(iso, role, call, iso.values)
            where = f"{call.method} {fill(call.template, iso.values)} as id-{role}: {status}"
            if status >= 500 and status != 503:  # 503: not ready (the matcher's index), not a failure
                problems.append(f"{where} (server error)")
            elif set(call.params) & STRICT and status < 400:
                problems.append(f"{where}: answered for NL's {sorted(set(call.params) & STRICT)}")
            found = leaks(iso, sent, back)
            if found:
                problems.append(f"{where}: the answer holds {found}")
    assert not problems, "\n".join(problems)
    after = nl_rows(iso.world)
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    assert not changed, f"NL's rows changed: {changed}"
    assert before["file_instance"] and before["alert"] and before["assertion"]  # the snapshot sees them


VARIANTS: dict[str, list[dict[str, str]]] = {
    "/cases/{case}/graph": [{"format": f} for f in ("cytoscape", "graphml", "geojson", "kml")],
    "/cases/{case}/triage": [{}, {"summary": "true"}],
}
"""Query strings a read is also tried with (the other shapes of its answer)."""


def test_own_cases_show_links_into_nl_filtered(iso: Iso) -> None:
    """Reads of Polri ID's own cases (whose links and alerts lead into NL-1) carry nothing of NL's."""
    problems: list[str] = []
    answered = 0
    reads = [c for c in calls(iso) if c.method == "GET" and "case" in c.params]
    for call, case, role in itertools.product(reads, ("ID-7", "ID-9"), ROLES):
        values = iso.values | {"case": case}
        for query in VARIANTS.get(call.template, [{}]):
            status, sent, back = request(iso, role, call, values, query)
            answered += status == 200
            where = f"GET {fill(call.template, values)} {query} as id-{role}: {status}"
            if status >= 500 and status != 503:
                problems.append(f"{where} (server error)")
            found = leaks(iso, sent, back)
            if found:
                problems.append(f"{where}: the answer holds {found}")
    assert not problems, "\n".join(problems)
    assert answered >= 20


# -- sharing ----------------------------------------------------------------------------------------------
def test_sharing_gives_read_only_access_until_unshared(iso: Iso) -> None:
    w = iso.world
    c = w.client
    reviewer, investigator = w.auth("id", "reviewer"), w.auth("id", "investigator")
    assert c.get("/cases/NL-1/files", headers=reviewer).status_code == 404
    r = c.post("/cases/NL-1/shares", headers=w.auth("id", "admin"), json={"agency": "Polri ID"})
    assert r.status_code == 404
    r = c.post("/cases/NL-1/shares", headers=w.auth("nl", "investigator"), json={"agency": "Polri ID"})
    assert r.status_code == 201 and r.json()["shared_with"] == ["Polri ID"]
    assert [e.action for e in w.store.audit.entries(case_names=["NL-1"], action="case_share")] == [
        "case_share"
    ]
    try:
        files = c.get("/cases/NL-1/files", headers=reviewer)
        assert files.status_code == 200
        assert set(NL_FILES) <= {f["name"] for f in files.json()["items"]}
        listed = {x["case"]: x for x in c.get("/cases", headers=reviewer).json()["items"]}
        assert listed["NL-1"]["own"] is False
        assert c.get("/cases/NL-1", headers=reviewer).json()["shared_with"] is None
        links = c.get("/cases/ID-7/links", headers=reviewer).json()["items"]
        names = {e["name"] for x in links for e in (x["a"], x["b"]) if e["kind"] == "content"}
        assert "IMG_0002.jpg" in names and not any(e["hidden"] for x in links for e in (x["a"], x["b"]))
        alerts = c.get("/cases/ID-7/alerts", headers=reviewer).json()["items"]
        assert alerts and all(a["other_visible"] for a in alerts)
        sha = w.sha("NL-1", "IMG_0004.jpg")
        for who in (reviewer, investigator, w.auth("id", "admin")):
            writes = [
                c.post("/cases/NL-1/assertions", headers=who, json={"content": sha, "victim": "V-9"}),
                c.post("/cases/NL-1/match", headers=who),
                c.post("/cases/NL-1/shares", headers=who, json={"agency": "Polri ID"}),
                c.delete("/cases/NL-1/shares/Polri ID", headers=who),
                c.get("/cases/NL-1/shares", headers=who),
            ]
            assert [x.status_code for x in writes] == [403] * 5, [x.text for x in writes]
        assert not [a for a in w.store.graph.assertions() if a.object == "person:V-9"]
    finally:
        r = c.delete("/cases/NL-1/shares/Polri ID", headers=w.auth("nl", "admin"))
    assert r.status_code == 200 and r.json()["shared_with"] == []
    assert [e.action for e in w.store.audit.entries(case_names=["NL-1"], action="case_unshare")] == [
        "case_unshare"
    ]
    for path in ("/cases/NL-1", "/cases/NL-1/files", "/cases/NL-1/links"):
        assert c.get(path, headers=reviewer).status_code == 404
    assert "NL-1" not in {x["case"] for x in c.get("/cases", headers=reviewer).json()["items"]}
    links = c.get("/cases/ID-7/links", headers=reviewer).json()["items"]
    assert any(e["hidden"] for x in links for e in (x["a"], x["b"]))
