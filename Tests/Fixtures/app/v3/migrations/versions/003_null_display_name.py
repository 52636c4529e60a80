"""003: the broken release. A botched backfill nulls every display name."""
from alembic import op

revision = "003"
down_revision = "002"


def upgrade():
    op.execute("ALTER TABLE accounts ALTER COLUMN display_name DROP NOT NULL")
    op.execute("UPDATE accounts SET display_name = NULL")


def downgrade():
    # Nothing can bring the names back: this fails while any is null, so only a dump restores them.
    op.execute("ALTER TABLE accounts ALTER COLUMN display_name SET NOT NULL")
