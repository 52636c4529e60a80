"""001: the accounts table."""
from alembic import op

revision = "001"
down_revision = None


def upgrade():
    op.execute("CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, email text)")


def downgrade():
    op.execute("DROP TABLE accounts")
