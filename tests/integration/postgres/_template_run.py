"""One run as a test session makes it: start a server, get a stored template, clone it.

``python -m tests.integration.postgres._template_run VERSION COUNTER [SLEEP]``: the
schema's fingerprint is VERSION; each build appends a line to COUNTER (so a test can
count builds across processes) and sleeps SLEEP seconds mid-build. Prints one JSON
line: the template's name and what a clone of it holds.
"""

from __future__ import annotations

import json
import sys
import time

import psycopg

from toolkit.postgres import databases, start_server


class CountedSchema:
    """Tables, rows and a sequence past its start: what a dump must carry exactly."""

    stored = True
    family = "tests:stored-templates"

    def __init__(self, version: str, counter: str, sleep: float) -> None:
        self.version, self.counter, self.sleep = version, counter, sleep

    def fingerprint(self) -> str:
        return f"counted:{self.version}"

    def apply(self, url: str) -> None:
        with open(self.counter, "a") as handle:
            handle.write(f"{self.version}\n")
        print("building", file=sys.stderr, flush=True)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)")
            time.sleep(self.sleep)
            connection.execute(
                "INSERT INTO items (name) SELECT %s || g FROM generate_series(1, 50) g",
                (self.version,),
            )
            connection.execute("CREATE INDEX items_name ON items (name)")
            connection.execute(  # about 40 kB in a dump: more than a tiny disk holds
                "CREATE TABLE noise AS SELECT md5(g::text) AS hash FROM generate_series(1, 1000) g"
            )
            connection.execute(f"COMMENT ON TABLE items IS 'version {self.version}'")


def main() -> None:
    version, counter = sys.argv[1], sys.argv[2]
    sleep = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    with start_server() as server:
        template = databases.ensure_template(server, CountedSchema(version, counter, sleep))
        clone = databases.clone_database(server, template, "clone")
        with psycopg.connect(server.dsn(clone)) as connection:
            rows = connection.execute("SELECT count(*), min(name) FROM items").fetchone()
            following = connection.execute("SELECT nextval('items_id_seq')").fetchone()
            comment = connection.execute("SELECT obj_description('items'::regclass)").fetchone()
    assert rows and following and comment
    print(
        json.dumps(
            {
                "template": template,
                "rows": rows[0],
                "first": rows[1],
                "next_id": following[0],
                "comment": comment[0],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
