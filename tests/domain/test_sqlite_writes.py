"""The SQLite write gate: a process's writers queue at it, and every way a transaction ends lets the next in."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from domain.db import READ_ONLY, make_engine
from domain.sqlite_writes import WriteGate, gate_file


@pytest.fixture()
def lite(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("create table counter (n integer not null)"))
        conn.execute(text("insert into counter values (0)"))
    return engine


def _gate_is_free(engine: Engine) -> bool:
    """Another writer can begin at once (the gate's timeout is seconds, so a held gate would block)."""
    done = threading.Event()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(text("update counter set n = n"))
        done.set()

    worker = threading.Thread(target=write, daemon=True)
    worker.start()
    return done.wait(timeout=2.0)


def test_commit_rollback_and_a_failed_statement_each_free_the_gate(lite: Engine) -> None:
    with lite.begin() as conn:
        conn.execute(text("update counter set n = n + 1"))
    assert _gate_is_free(lite)
    with lite.connect() as conn:
        conn.execute(text("update counter set n = n + 1"))
        conn.rollback()
    assert _gate_is_free(lite)
    with pytest.raises(OperationalError), lite.begin() as conn:
        conn.execute(text("update no_such_table set n = 1"))
    assert _gate_is_free(lite)
    with lite.connect() as conn:
        conn.execute(text("update counter set n = n + 1"))
        conn.invalidate()  # the connection is thrown away mid-transaction
    assert _gate_is_free(lite)
    with lite.connect() as conn:
        assert conn.execute(text("select n from counter")).scalar() == 1


def test_a_writer_waits_at_the_gate_while_a_reader_does_not(lite: Engine) -> None:
    holder = lite.connect()
    holder.execute(text("update counter set n = n + 1"))  # an open write transaction
    try:
        assert not _gate_is_free(lite)
        with lite.connect().execution_options(**{READ_ONLY: True}) as reader:
            # A WAL reader sees the last committed value and takes no turn at the gate.
            assert reader.execute(text("select n from counter")).scalar() == 0
            reader.rollback()
    finally:
        holder.commit()
        holder.close()


def test_concurrent_increments_all_land_without_a_locked_database(lite: Engine) -> None:
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(25):
                with lite.begin() as conn:
                    n = conn.execute(text("select n from counter")).scalar_one()
                    conn.execute(text("update counter set n = :n"), {"n": n + 1})
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with lite.connect() as conn:
        # Read-then-write in every transaction, and not one increment lost.
        assert conn.execute(text("select n from counter")).scalar() == 200


def test_a_writer_that_waits_too_long_gets_sqlites_own_error() -> None:
    gate = WriteGate(timeout=0.05)
    gate.enter()
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            gate.enter()
    finally:
        gate.leave()
    gate.enter()  # free again
    gate.leave()


def test_writers_of_other_processes_queue_at_the_file_beside_the_database(tmp_path: Path) -> None:
    database = tmp_path / "shared.sqlite"
    path = gate_file(str(database))
    assert path is not None and path.parent == tmp_path
    assert gate_file(":memory:") is None and gate_file(None) is None
    ready = tmp_path / "held"
    # Another process takes the gate and keeps it until told to let go (its stdin closes).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib\n"
            "from domain.sqlite_writes import WriteGate\n"
            f"gate = WriteGate(lock_path=pathlib.Path({str(path)!r}))\n"
            "gate.enter()\n"
            f"pathlib.Path({str(ready)!r}).touch()\n"
            "sys.stdin.read()\n"
            "gate.leave()\n",
        ],
        stdin=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        for _ in range(400):
            if ready.exists():
                break
            time.sleep(0.025)
        assert ready.exists(), "the other process did not take the gate"
        mine = WriteGate(timeout=0.2, lock_path=path)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            mine.enter()
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
        mine.enter()  # the other process let go
        mine.leave()
    finally:
        if holder.poll() is None:
            holder.kill()
