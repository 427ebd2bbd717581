"""The store: SQLAlchemy Core tables, Alembic migrations, one Store class over SQLite or PostgreSQL."""
