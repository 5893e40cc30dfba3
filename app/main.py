"""create_app(): routers, static files, middleware, error handlers, logging."""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from app.accounts import users_views
from app.accounts import views as accounts_views
from app.bodies import api as bodies_api
from app.bodies import views as bodies_views
from app.config import PROJECT_ROOT, get_settings
from app.evidence import api as evidence_api
from app.evidence import views as evidence_views
from app.jobs import views as jobs_views
from app.orgs import views as orgs_views
from app.outbox import tasks as outbox_tasks
from app.web import home
from app.web.deps import csrf_protect
from app.web.errors import install_error_handlers
from app.web.middleware import SecurityMiddleware


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = FastAPI(
        title="Monev KIP",
        version="0.1.0",
        description="Monitoring dan evaluasi keterbukaan informasi publik — API untuk integrasi.",
        dependencies=[Depends(csrf_protect)],
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.add_middleware(SecurityMiddleware)
    app.mount("/static", StaticFiles(directory=str(PROJECT_ROOT / "app" / "static")), name="static")
    for module in (
        home,
        accounts_views,
        users_views,
        bodies_views,
        bodies_api,
        orgs_views,
        jobs_views,
        evidence_api,
        evidence_views,
    ):
        app.include_router(module.router)
    install_error_handlers(app)
    _ = outbox_tasks  # periodic outbox delivery is registered on the queue
    return app
