"""002: name becomes display_name; email goes. v2's code and config need display_name."""
from alembic import op

revision = "002"
down_revision = "001"


def upgrade():
    op.execute("ALTER TABLE accounts RENAME COLUMN name TO display_name")
    op.execute("ALTER TABLE accounts DROP COLUMN email")


def downgrade():
    # The column comes back empty: the addresses it held were dropped with it.
    op.execute("ALTER TABLE accounts ADD COLUMN email text")
    op.execute("ALTER TABLE accounts RENAME COLUMN display_name TO name")
