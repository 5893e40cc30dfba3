"""answers indexed by submission and verdict (replaces the index by submission alone)

Revision ID: a16verdict01
Revises: i15internal01
Create Date: 2026-11-24 16:15:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a16verdict01"
down_revision: str | Sequence[str] | None = "i15internal01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_answers_submission_verdict", "answers", ["submission_id", "verdict"], unique=False
    )
    op.drop_index("ix_answers_submission_id", table_name="answers")


def downgrade() -> None:
    op.create_index("ix_answers_submission_id", "answers", ["submission_id"], unique=False)
    op.drop_index("ix_answers_submission_verdict", table_name="answers")
