"""API key listing: an index in the keyset order of ListApiKeys over every key.

Revision ID: 0008_api_key_listing
Revises: 0007_fill_versions
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_api_key_listing"
down_revision: str | None = "0007_fill_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Pages of every key walk (created_at, key_id); without this each page sorts the table.
    op.create_index(op.f("ix_api_keys_created_at"), "api_keys", ["created_at", "key_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_keys_created_at"), table_name="api_keys")
