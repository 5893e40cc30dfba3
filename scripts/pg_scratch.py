"""Create or drop a throw-away PostgreSQL database next to the one a URL names.

`python -m scripts.pg_scratch create URL` prints the new database's URL;
`python -m scripts.pg_scratch drop URL` drops it.
"""

from __future__ import annotations

import os
import sys
import uuid

import psycopg
from sqlalchemy.engine import make_url


def create(url: str, prefix: str = "monev_scratch") -> str:
    u = make_url(url)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_plain(u.set(drivername="postgresql")), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return u.set(database=name).render_as_string(hide_password=False)


def drop(url: str) -> None:
    u = make_url(url)
    admin = u.set(database="postgres")
    with psycopg.connect(_plain(admin.set(drivername="postgresql")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')


def _plain(u: object) -> str:
    return str(u.render_as_string(hide_password=False))


if __name__ == "__main__":
    if sys.argv[1] == "create":
        print(create(sys.argv[2]))
    else:
        drop(sys.argv[2])
