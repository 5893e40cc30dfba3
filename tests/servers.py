"""Real server processes for browser and multi-process tests (each on a database of its own)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from app.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(root: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(root / "var"),
        "HUEY_IMMEDIATE": "1",
        "DEMO_PASSWORD": "monev-demo-2025",
        **extra,
    }
    env.pop("TEST_DATABASE_URL", None)
    env.pop("BASE_URL", None)  # the test client's http://testserver; each server is its own
    env.update({k: v for k, v in extra.items() if k == "BASE_URL"})
    return env


def prepare_database(env: dict[str, str], *, seed: bool = True) -> None:
    """Migrate (and seed the demo into) the server's own database."""
    subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"],
        env=env,
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )
    if seed:
        subprocess.run(
            [str(BIN / "monev"), "seed-demo"],
            env=env,
            check=True,
            cwd=PROJECT_ROOT,
            capture_output=True,
        )


def _wait_for_port(proc: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + 90  # a loaded CI machine can take long to import the app
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class RedisServer:
    """A private Redis server on a free port, keeping nothing on disk (Debian's `redis-server`,
    which ./scripts/test installs when it is missing); `url(n)` names its database n."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server not found: ./scripts/test installs Debian's package")
        self.port = free_port()
        log = workdir / "redis.log"
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if not _wait_for_port(self.proc, self.port):
            self.stop()
            raise RuntimeError("redis-server did not start:\n" + log.read_text())

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


class Worker:
    """One job worker (`huey_consumer app.worker.huey`); `stop()` ends it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [str(BIN / "huey_consumer"), "app.worker.huey", "-w", "1"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


class Server:
    """One uvicorn process; `stop()` ends it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.log_path = log
        env = {**env, "BASE_URL": env.get("BASE_URL", self.base)}
        self.proc = subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if not _wait_for_port(self.proc, self.port):
            self.stop()
            raise RuntimeError("server did not start:\n" + log.read_text())

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()
