"""answers waiting for a verdict: a partial index

Revision ID: a16pending01
Revises: i15internal01
Create Date: 2026-11-24 15:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a16pending01"
down_revision: str | Sequence[str] | None = "i15internal01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_answers_pending_verdict",
        "answers",
        ["submission_id"],
        unique=False,
        sqlite_where=sa.text("verdict = 'pending'"),
        postgresql_where=sa.text("verdict = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_answers_pending_verdict",
        table_name="answers",
        sqlite_where=sa.text("verdict = 'pending'"),
        postgresql_where=sa.text("verdict = 'pending'"),
    )
