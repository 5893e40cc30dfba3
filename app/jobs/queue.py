"""The huey queue: SQLite file by default, Redis when REDIS_URL is set, immediate in tests."""

from __future__ import annotations

from huey import Huey, RedisHuey, SqliteHuey

from app.config import get_settings


def make_huey() -> Huey:
    s = get_settings()
    if s.redis_url:
        return RedisHuey("monev", url=s.redis_url, immediate=s.huey_immediate)
    s.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("monev", filename=str(s.var_dir / "huey.db"), immediate=s.huey_immediate)


huey = make_huey()
