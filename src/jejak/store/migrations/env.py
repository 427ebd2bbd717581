"""Alembic environment: runs on the connection that Store hands over in config.attributes."""

from __future__ import annotations

from alembic import context

from jejak.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("jejak migrations run through jejak.store (jejak db upgrade), not the alembic CLI")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
