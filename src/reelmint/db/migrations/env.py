"""Alembic environment: migrate the engine handed over in `config.attributes["engine"]`."""

from __future__ import annotations

from alembic import context

from reelmint.db.models import load_all_models

config = context.config
target_metadata = load_all_models()


def run_migrations() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
