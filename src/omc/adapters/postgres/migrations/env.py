"""Alembic environment, configured programmatically by omc.adapters.postgres.migrate.

Runs online only: `migrate.py` hands over a live connection in `config.attributes`.
"""

from __future__ import annotations

from alembic import context

from omc.adapters.postgres.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through omc.adapters.postgres.migrate, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    compare_type=True,
    # One transaction for the whole upgrade: a failed step leaves the schema untouched.
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
