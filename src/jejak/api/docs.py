"""Offline API docs: ``/docs`` is an HTML page rendered on the server from the OpenAPI schema itself, with
no script and no asset from a CDN (the machines jejak runs on are often air-gapped). ``/openapi.json`` is
FastAPI's schema, for tools."""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
.op{margin:1rem 0;padding:.5rem .8rem;border-left:4px solid #557}
.m{font:600 13px monospace;padding:1px 6px;border-radius:3px;background:#335;color:#fff;margin-right:.5rem}
code,pre{font:13px monospace;background:#f3f3f3}pre{padding:.5rem;overflow:auto;max-height:18rem}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;font-size:14px}
"""


def _schema_text(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_schema_text(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_schema_text(schema.get('items'))}"
    return str(schema.get("type", "object"))


def render(spec: dict[str, Any]) -> str:
    e = html.escape
    info = spec.get("info", {})
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(info.get('title', 'API'))} API</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(info.get('title', ''))} {e(str(info.get('version', '')))}</h1>",
        f"<p>{e(info.get('description', ''))}</p>",
        "<p>Every endpoint but <code>/status/*</code>, <code>/docs</code> and <code>/openapi.json</code> "
        "needs <code>Authorization: Bearer &lt;token&gt;</code> (<code>jejak admin create-token</code>). "
        "Errors are <code>application/problem+json</code>. The machine-readable schema: "
        "<a href='/openapi.json'>"
        "/openapi.json</a>.</p>",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in sorted(spec.get("paths", {}).items()):
        for method, op in item.items():
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append((path, method, op))
    for tag in sorted(by_tag):
        out.append(f"<h2 id='{e(tag)}'>{e(tag)}</h2>")
        for path, method, op in by_tag[tag]:
            out.append(f"<div class='op'><span class='m'>{e(method.upper())}</span><code>{e(path)}</code>")
            if op.get("summary"):
                out.append(f" — {e(op['summary'])}")
            if op.get("description"):
                out.append(f"<p>{e(op['description'])}</p>")
            params = op.get("parameters", [])
            if params:
                out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>")
                for p in params:
                    out.append(
                        f"<tr><td><code>{e(p.get('name', ''))}</code></td><td>{e(p.get('in', ''))}</td>"
                        f"<td>{e(_schema_text(p.get('schema')))}</td><td>{'yes' if p.get('required') else ''}"
                        "</td></tr>"
                    )
                out.append("</table>")
            body = op.get("requestBody", {}).get("content", {})
            for ctype, c in body.items():
                out.append(f"<p>body ({e(ctype)}): <code>{e(_schema_text(c.get('schema')))}</code></p>")
            codes = ", ".join(sorted(op.get("responses", {})))
            out.append(f"<p>responses: {e(codes)}</p></div>")
    schemas = spec.get("components", {}).get("schemas", {})
    if schemas:
        out.append("<h2 id='schemas'>schemas</h2>")
        for name in sorted(schemas):
            text = json.dumps(schemas[name].get("properties", schemas[name]), indent=1)
            out.append(f"<h3 id='{e(name)}'>{e(name)}</h3><pre>{e(text)}</pre>")
    out.append("</body></html>")
    return "".join(out)


def mount(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(render(request.app.openapi()))
