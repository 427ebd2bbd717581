"""Alembic migrations of the jejak store (run by Store.open and by ``jejak db upgrade``)."""
