"""``jejak serve``: the HTTP API (and later the web UI) over the same services as the CLI."""

from __future__ import annotations

from typing import Annotated

import typer

from jejak.cli.common import settings
from jejak.cli.output import err
from jejak.config import check_deployment
from jejak.errors import MissingDependency


def serve_cmd(
    host: Annotated[
        str, typer.Option("--host", help="address to listen on (beyond loopback: deployment=server)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8080,
    roles: Annotated[
        str, typer.Option("--roles", help="comma-separated: api (case data), matcher (HMA lookups), ui")
    ] = "api,matcher",
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level")] = "warning",
) -> None:
    """Serve the REST API, the platform matching API and (role ui) the review UI."""
    s = settings()
    check_deployment(s, host)
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - make install installs the server extra
        raise MissingDependency("uvicorn", "server") from exc
    from jejak.api.app import create_app

    app = create_app(s, roles=roles.split(","))
    err.print(f"jejak serve: http://{host}:{port} roles {roles} (database {s.db.split('://')[0]})")
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
