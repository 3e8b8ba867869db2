"""Alembic environment: the engine is handed in by projections.database.migrate."""

from alembic import context
from sqlalchemy import Connection, create_engine

from projections.tables import metadata

config = context.config
engine = config.attributes.get("engine") or create_engine(
    config.get_main_option("sqlalchemy.url") or ""
)


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


if "connection" in config.attributes:  # handed in while holding the migration lock
    run(config.attributes["connection"])
else:
    with engine.connect() as connection:
        run(connection)
