"""Entry point of the job worker: `huey_consumer app.worker.huey` (started by scripts/serve)."""

from app.jobs.queue import huey
from app.main import create_app

create_app()  # imports every domain, so every job handler and task is registered

__all__ = ["huey"]
