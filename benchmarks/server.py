"""The platform matching API under load: ``GET /m/lookup?signal_type=pdq`` against 1,000,000 references.

1. build a SQLite store (``--db``, default a temporary file) with one list of ``--refs`` random PDQ hashes
   (positional rows through ``store.lists.import_version``, as ``lists import`` writes them), a platform
   user and its token, and the list index (``ensure_index``, saved beside the database);
2. start ``jejak serve --roles matcher`` in a subprocess on loopback (``JEJAK_API_RATE_PER_SECOND`` raised so
   the limiter does not throttle the benchmark's token) and wait for ``/status/ready``;
3. in a second process, a load generator (asyncio, ``--connections`` keep-alive HTTP/1.1 connections, each
   sending its next request when the answer arrives) runs for ``--seconds``: half of the queries are a
   reference with 0-31 bits flipped (each must be found), half uniformly random (none may be found);
4. meanwhile the server's RSS is sampled every second (start, middle, end: memory must stay flat);
5. after the server is stopped, the baseline in this process on the same queries, one at a time: the
   bare index search (``ListIndex.search``) and the matcher's lookup (search + resolving hits against the
   store, ``Matcher.lookup_pdq``), and the ratios of the HTTP throughput to them;
6. PASS/FAIL per floor (>= 1,000 lookups/s, p99 < 50 ms, zero errors, flat memory); the exit status is 0
   unless --strict; --write-docs writes the "## Matching API under load" section of docs/benchmarks.md.

    .venv/bin/python benchmarks/server.py [--refs 1000000] [--seconds 60] [--connections 16] [--quick]
        [--client raw|httpx] [--db PATH] [--write-docs] [--strict]

--quick: 100,000 references for 10 s. The load generator speaks raw HTTP/1.1 by default (httpx's
AsyncClient, --client httpx, costs several times more CPU per request than the server on this machine,
so it measures itself).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import benchkit
import numpy as np
from numpy.typing import NDArray

SECTION = "## Matching API under load (benchmarks/server.py)"
FLOOR_QPS = 1000.0
FLOOR_P99_MS = 50.0
FLOOR_RSS_GROWTH = 0.05  # RSS growth over the second half of the run, relative to the middle
RADIUS = 31
QUERIES = 20_000
BASELINE_SECONDS = 5.0
LIST_NAME = "bench-references"
NOTES = """\
Notes:
- The request path: the bearer token is authenticated (a database read at most once per
  `api_auth_cache_seconds`, 2 s, per token and process: `api/auth.py`), the PDQ lookups
  of concurrent requests are searched together (those waiting when the event loop comes round share one
  index search and one store query, `_Coalescer` in `api/platform.py`), hits are resolved against the store
  (removed entries and known-good lists never answer), and the answer is written as HMA's JSON. Before
  the authentication cache, a database read per request was about half of the server's CPU per lookup.
- RSS grows while new references are touched (SQLite's page cache of the entries read, at most
  `cache_size`, 128 MiB, per pooled connection) and levels off as the queries repeat (here 20,000
  distinct hashes, cycled through). Measured separately: with 1,000 distinct hashes the RSS stayed flat
  from the first second; with these 20,000 over 120 s it stopped growing after about 50 s (+40 MiB).
- On this 2-core VM with nothing else running (2026-11-29): 1,006, 1,250 and 1,261 lookups/s with a
  database read per request; 2,275 lookups/s with the authentication cache (this table)."""


# -- the store -------------------------------------------------------------------------------------------
def build_store(path: Path, refs: int, rng: np.random.Generator) -> tuple[str, NDArray[np.uint8]]:
    """A store with ``refs`` random PDQ references and a platform token; returns (token, codes)."""
    from jejak.config import Settings
    from jejak.model import HashValue
    from jejak.model.lists import Category, ListEntry
    from jejak.services import accounts
    from jejak.services.match import ensure_index
    from jejak.store.lists import entry_row
    from jejak.store.sql import Store
    from jejak.testing.indexkit import random_codes

    codes = random_codes(refs, rng)
    hexes = codes.tobytes().hex()
    cat = Category("vic-us", "1")

    def rows() -> Iterator[tuple[Any, ...] | None]:
        for i in range(refs):
            pdq = HashValue("pdq", hexes[64 * i : 64 * (i + 1)], 100)
            yield entry_row(ListEntry((pdq,), category=cat, external_id=f"REF-{i}"))

    url = f"sqlite:///{path}"
    store = Store.open(url)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = store.lists.create(LIST_NAME, False, "vic-us", None, "benchmark", "bench", now)
    store.lists.import_version(
        row.id, rows(), source=None, source_sha256=None, fmt="pdq", header=None, by="bench", now=now
    )
    store.accounts.create_agency("Bench Platform")
    accounts.create_user(store, "bench-platform", "Bench Platform", "platform", None)
    token, _ = accounts.create_token(store, "bench-platform", None)
    ensure_index(store, Settings(db=url))
    store.close()
    return token, codes


def make_queries(codes: NDArray[np.uint8], n: int, rng: np.random.Generator) -> list[str]:
    """Alternately near a reference (0-31 bits flipped: even positions) and uniformly random (odd)."""
    from jejak.index import codes_to_hex
    from jejak.testing.indexkit import flip_bits, random_codes

    near = (n + 1) // 2
    picked = codes[rng.integers(0, len(codes), size=near)]
    out = np.empty((n, codes.shape[1]), np.uint8)
    out[0::2] = flip_bits(picked, rng.integers(0, RADIUS + 1, size=near), rng)
    out[1::2] = random_codes(n - near, rng)
    return codes_to_hex(out)


# -- the server ------------------------------------------------------------------------------------------
def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"JEJAK_API_RATE_PER_SECOND": "1000000000", "JEJAK_API_RATE_BURST": "1000000000"}
    cmd = [sys.executable, "-m", "jejak", "--db", url, "serve", "--port", str(port), "--roles", "matcher"]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 600.0) -> float:
    import httpx

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/status/ready", timeout=5).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


# -- the load generator (a child process) ------------------------------------------------------------------
async def _raw_worker(cfg: dict[str, Any], queries: list[str], start: int, out: dict[str, Any]) -> None:
    host, port, token = "127.0.0.1", cfg["port"], cfg["token"]
    deadline = cfg["deadline"]
    reader, writer = await asyncio.open_connection(host, port)
    i = start
    lat: list[float] = out["lat"]
    while time.perf_counter() < deadline:
        q = i % len(queries)
        i += cfg["connections"]
        req = (
            f"GET /m/lookup?signal_type=pdq&signal={queries[q]} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        t0 = time.perf_counter()
        try:
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"connection" and value.strip().lower() == b"close":
                    close = True
            body = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError) as exc:
            out["errors"][type(exc).__name__] = out["errors"].get(type(exc).__name__, 0) + 1
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
            continue
        lat.append(time.perf_counter() - t0)
        _count(out, status, body, q % 2 == 0)
        if close:
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
    writer.close()


async def _httpx_worker(cfg: dict[str, Any], queries: list[str], start: int, out: dict[str, Any]) -> None:
    import httpx

    i = start
    headers = {"Authorization": f"Bearer {cfg['token']}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{cfg['port']}", headers=headers) as client:
        while time.perf_counter() < cfg["deadline"]:
            q = i % len(queries)
            i += cfg["connections"]
            t0 = time.perf_counter()
            try:
                r = await client.get("/m/lookup", params={"signal_type": "pdq", "signal": queries[q]})
            except httpx.HTTPError as exc:
                out["errors"][type(exc).__name__] = out["errors"].get(type(exc).__name__, 0) + 1
                continue
            out["lat"].append(time.perf_counter() - t0)
            _count(out, r.status_code, r.content, q % 2 == 0)


def _count(out: dict[str, Any], status: int, body: bytes, near: bool) -> None:
    if status != 200:
        out["errors"][str(status)] = out["errors"].get(str(status), 0) + 1
        return
    found = body.strip() != b"{}"
    key = ("near" if near else "random") + ("_found" if found else "_missed")
    out[key] += 1


async def _load(cfg: dict[str, Any], queries: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"lat": [], "errors": {}, "near_found": 0, "near_missed": 0}
    out.update(random_found=0, random_missed=0)
    worker = _raw_worker if cfg["client"] == "raw" else _httpx_worker
    t0 = time.perf_counter()
    cfg["deadline"] = t0 + cfg["seconds"]
    await asyncio.gather(*(worker(cfg, queries, k, out) for k in range(cfg["connections"])))
    out["wall"] = time.perf_counter() - t0
    return out


def child_load(cfg_path: str) -> None:
    cfg = json.loads(Path(cfg_path).read_text())
    queries = Path(cfg["queries"]).read_text().split()
    cpu0 = time.process_time()
    try:
        import uvloop

        out = uvloop.run(_load(cfg, queries))
    except ImportError:
        out = asyncio.run(_load(cfg, queries))
    lat = np.array(out.pop("lat"), dtype=np.float64) * 1000.0
    out["requests"] = len(lat)
    out["cpu"] = time.process_time() - cpu0
    out["p50"], out["p95"], out["p99"], out["max"] = (
        [float(x) for x in np.percentile(lat, [50, 95, 99, 100])] if len(lat) else [float("nan")] * 4
    )
    print(json.dumps(out))


# -- the baseline ------------------------------------------------------------------------------------------
def baseline(url: str, queries: list[str]) -> dict[str, float]:
    """The same lookups in this process, one at a time: the bare index search, then the matcher's lookup."""
    from jejak.config import Settings
    from jejak.services.lookup import Matcher
    from jejak.store.sql import Store

    store = Store.open(url)
    settings = Settings(db=url)
    matcher = Matcher(store, settings)
    matcher.refresh()
    index = matcher._index
    assert index is not None
    out: dict[str, float] = {}
    for name, run in (
        ("index", lambda q: index.search([q], RADIUS)),
        ("matcher", matcher.lookup_pdq),
    ):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < BASELINE_SECONDS:
            run(queries[(n * 7919) % len(queries)])
            n += 1
        out[name] = n / (time.perf_counter() - t0)
    store.close()
    return out


# -- main --------------------------------------------------------------------------------------------------
def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--refs", type=int, default=None, help="PDQ references (default 1,000,000)")
    ap.add_argument("--seconds", type=float, default=None, help="load duration (default 60)")
    ap.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw")
    ap.add_argument("--db", type=Path, default=None, help="SQLite file to build (kept); default: temporary")
    ap.add_argument("--quick", action="store_true", help="100,000 references, 10 s")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a floor is missed")
    ap.add_argument("--child-load", metavar="CONFIG", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.refs = args.refs or (100_000 if args.quick else 1_000_000)
    args.seconds = args.seconds or (10.0 if args.quick else 60.0)
    return args


def run_load(cfg: dict[str, Any], pid: int, tmp: Path) -> tuple[dict[str, Any], list[float]]:
    """The load generator in a child process, the server's RSS sampled every second meanwhile."""
    (tmp / "load.json").write_text(json.dumps(cfg))
    cmd = [sys.executable, __file__, "--child-load", str(tmp / "load.json")]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    rss: list[float] = []
    while child.poll() is None:
        rss.append(rss_mib(pid))
        time.sleep(1.0)
    rss.append(rss_mib(pid))
    stdout, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"the load generator failed ({child.returncode})")
    return json.loads(stdout), rss


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.child_load:
        child_load(args.child_load)
        return 0
    watch = benchkit.Stopwatch()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = args.db or tmp / "server.db"
        for old in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            old.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        t0 = time.perf_counter()
        token, codes = build_store(path, args.refs, rng)
        built = time.perf_counter() - t0
        print(f"built: {args.refs:,} references, the index and a token in {built:.0f} s", flush=True)
        queries = make_queries(codes, QUERIES, rng)
        (tmp / "queries.txt").write_text("\n".join(queries))
        port = free_port()
        server = start_server(url, port, tmp / "server.log")
        try:
            ready_s = wait_ready(port, server)
            cpu0 = cpu_seconds(server.pid)
            rss_start = rss_mib(server.pid)
            cfg = {
                "port": port,
                "token": token,
                "seconds": args.seconds,
                "connections": args.connections,
                "client": args.client,
                "queries": str(tmp / "queries.txt"),
            }
            load_watch = benchkit.Stopwatch()
            load, rss = run_load(cfg, server.pid, tmp)
            server_cpu = cpu_seconds(server.pid) - cpu0
            load_other = max(0.0, load_watch.other_cpu() - server_cpu)  # the server is not reaped yet
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        log_tail = (tmp / "server.log").read_text(errors="replace")[-2000:]
        base = baseline(url, queries)
    qps = load["requests"] / load["wall"]
    rss_mid = rss[len(rss) // 2] if rss else float("nan")
    rss_end = rss[-1] if rss else float("nan")
    growth = (rss_end - rss_mid) / rss_mid if rss_mid else float("nan")
    errors = sum(load["errors"].values())
    near = load["near_found"] + load["near_missed"]
    rand = load["random_found"] + load["random_missed"]
    checks = [
        (qps >= FLOOR_QPS, f"{qps:,.0f} lookups/s (floor {FLOOR_QPS:,.0f})"),
        (load["p99"] < FLOOR_P99_MS, f"p99 {load['p99']:.1f} ms (ceiling {FLOOR_P99_MS:.0f} ms)"),
        (errors == 0, f"errors {errors} {load['errors'] or ''}".rstrip()),
        (
            growth <= FLOOR_RSS_GROWTH,
            f"memory flat: RSS {rss_start:.0f} / {rss_mid:.0f} / {rss_end:.0f} MiB at start / middle / end "
            f"({100 * growth:+.1f}% over the second half, ceiling {100 * FLOOR_RSS_GROWTH:.0f}%)",
        ),
        (
            load["near_missed"] == 0 and load["random_found"] == 0,
            f"answers: {load['near_found']:,} of {near:,} near queries found, "
            f"{load['random_found']:,} of {rand:,} random ones",
        ),
    ]
    lines = [
        f"{args.refs:,} PDQ references in SQLite; `jejak serve --roles matcher` (uvicorn, one process) on "
        f"loopback, ready {ready_s:.1f} s after start; load: {args.connections} keep-alive connections "
        f"({args.client} HTTP/1.1 client, a second process) for {load['wall']:.0f} s of "
        "`GET /m/lookup?signal_type=pdq`, half of the queries within 31 bits of a reference, half random.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| **lookups/s over HTTP** | **{qps:,.0f}** |",
        f"| latency p50 / p95 / p99 / max | {load['p50']:.1f} / {load['p95']:.1f} / {load['p99']:.1f} / "
        f"{load['max']:.1f} ms |",
        f"| errors | {errors} |",
        f"| server CPU per lookup | {1e6 * server_cpu / max(1, load['requests']):.0f} µs "
        f"({server_cpu / load['wall']:.2f} cores) |",
        f"| load generator CPU | {load['cpu'] / load['wall']:.2f} cores |",
        f"| server RSS start / middle / end | {rss_start:.0f} / {rss_mid:.0f} / {rss_end:.0f} MiB |",
        f"| baseline: bare index search in-process, one query at a time | {base['index']:,.0f} /s |",
        f"| baseline: `Matcher.lookup_pdq` in-process (search + store) | {base['matcher']:,.0f} /s |",
        f"| ratio HTTP / bare index search | {qps / base['index']:.2f}x |",
        f"| ratio HTTP / in-process matcher | {qps / base['matcher']:.2f}x |",
        "",
        f"CPU used by other processes (not the server, not the load generator) during the load: "
        f"{load_other:.1f} CPU-s in {load['wall']:.0f} s ({load_other / load['wall']:.2f} cores of "
        f"{len(os.sched_getaffinity(0))}).",
        "",
        *(f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in checks),
        "",
        NOTES,
    ]
    text = "\n".join(lines)
    print(text)
    print(f"total {watch.text()}")
    if errors:
        print("server log tail:\n" + log_tail)
    if args.write_docs:
        command = "python benchmarks/server.py" + (" --quick" if args.quick else "")
        if args.seconds != (10.0 if args.quick else 60.0):
            command += f" --seconds {args.seconds:g}"
        body = (
            f"{SECTION}\n\nCommand: `{command}` ({watch.text()})  \n"
            f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  \n"
            f"Machine: {benchkit.machine('SQLite ' + __import__('sqlite3').sqlite_version)}\n\n{text}\n"
        )
        benchkit.write_section(SECTION, body)
    return 1 if args.strict and not all(ok for ok, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
