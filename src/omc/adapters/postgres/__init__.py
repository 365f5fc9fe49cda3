"""PostgreSQL adapters: SQLAlchemy 2 Core over psycopg 3, schema managed by Alembic."""
