"""One Celery beat per installation (DESIGN.md 4.6): the scheduler holds a lock for as long as it runs.

Two beats would send every scheduled task twice: two monitoring cycles a minute, two patch scans, two of
every reminder. docker-compose runs one beat, but a second started by mistake (a scaled service, a forgotten
terminal, a second machine) must not double the work. So the scheduler takes a lock before it reads the
schedule and holds it while it runs; a second beat waits, saying so in its log, and takes over when the
first stops, which makes a standby beat safe to run.

The lock is a PostgreSQL session advisory lock on a connection of its own, which the server releases when
the process dies on whatever machine it ran; on SQLite (the embedded `make run`, one machine like SQLite
itself) it is an flock on a file beside the database, which the kernel releases likewise.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path
from typing import Any

from django.db import connection
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger("fits.beat")

# pg_try_advisory_lock's key: "FITS" in ASCII, so that `SELECT * FROM pg_locks` says whose it is.
LOCK_KEY = 0x46495453


class PostgresBeatLock:
    """A session advisory lock held on a connection that Django's connection handling never closes."""

    def __init__(self) -> None:
        self._connection: Any = None

    def _connect(self):
        import psycopg

        params = connection.get_connection_params()
        for name in ("cursor_factory", "context", "pool", "server_side_binding", "prepare_threshold"):
            params.pop(name, None)
        return psycopg.connect(**params, autocommit=True, application_name="fits beat lock")

    def try_acquire(self) -> bool:
        if self._connection is None or self._connection.closed:
            self._connection = self._connect()
        acquired = self._connection.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]
        return bool(acquired)

    def holder(self) -> str:
        """Who holds the lock now, for the waiting beat's log line."""
        row = self._connection.execute(
            "SELECT a.pid, coalesce(host(a.client_addr), 'local socket') FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid = 0 AND l.objid = %s",
            [LOCK_KEY],
        ).fetchone()
        return f"database session {row[0]} from {row[1]}" if row else "nobody (it was just released)"

    def still_held(self) -> bool:
        try:
            self._connection.execute("SELECT 1")
        except Exception:  # the server or the network went away: the lock went with the session
            return False
        return True

    def release(self) -> None:
        """Unlock, then end the session: a beat that stops cleanly hands over at once.

        Ending the session alone also releases the lock, but the server does so a moment after the client
        hangs up, so a standby's next try could still find it held.
        """
        if self._connection is not None and not self._connection.closed:
            try:
                self._connection.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
            except Exception:  # the session is gone already, and the lock with it
                pass
            self._connection.close()


class FileBeatLock:
    """An exclusive flock on `beat.lock` beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())
        return True

    def holder(self) -> str:
        try:
            return f"process {self.path.read_text().strip() or '?'} on this machine"
        except OSError:
            return "another process on this machine"

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def beat_lock() -> PostgresBeatLock | FileBeatLock:
    if connection.vendor == "postgresql":
        return PostgresBeatLock()
    name = connection.settings_dict["NAME"]
    return FileBeatLock(Path(str(name)).with_name("beat.lock"))


class SingleBeatScheduler(DatabaseScheduler):
    """django-celery-beat's database scheduler that runs only while it holds the installation's beat lock."""

    # How often a waiting beat tries the lock again.
    retry_seconds = float(os.environ.get("FITS_BEAT_LOCK_RETRY", "5"))

    def __init__(self, *args: Any, lazy: bool = False, **kwargs: Any) -> None:
        self._lock = beat_lock()
        if not lazy:  # a lazy scheduler only describes itself for beat's banner: it never sends
            self._wait_for_lock()
        super().__init__(*args, lazy=lazy, **kwargs)

    def _wait_for_lock(self) -> None:
        said = False
        while not self._lock.try_acquire():
            if not said:
                logger.warning(
                    "Another beat is running (%s): this one waits and takes over when it stops, so that "
                    "scheduled work is never sent twice.",
                    self._lock.holder(),
                )
                said = True
            time.sleep(self.retry_seconds)
        logger.info("This beat holds the beat lock: it sends the scheduled tasks.")

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._lock.still_held():
            # Another beat may have taken over already: stop rather than run two.
            raise SystemExit("fits beat: lost the beat lock (the database connection went away); stopping.")
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        super().close()
        self._lock.release()
