"""create_app(): routers, static files, middleware, error handlers, logging."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from app.accounts import users_views
from app.accounts import views as accounts_views
from app.audit import views as audit_views
from app.bodies import api as bodies_api
from app.bodies import registration_views
from app.bodies import views as bodies_views
from app.certificates import views as certificates_views
from app.config import PROJECT_ROOT, get_settings
from app.conflicts import views as conflicts_views
from app.cycles import api as cycles_api
from app.cycles import views as cycles_views
from app.dashboards import views as dashboards_views
from app.db import open_connections
from app.evidence import api as evidence_api
from app.evidence import pdfcheck
from app.evidence import tasks as evidence_tasks
from app.evidence import views as evidence_views
from app.evidence.storage import get_storage
from app.helpdesk import view_as as helpdesk_view_as
from app.helpdesk import views as helpdesk_views
from app.improvement import views as improvement_views
from app.internal import views as internal_views
from app.jobs import views as jobs_views
from app.notifications import broadcast_views
from app.notifications import tasks as notification_tasks
from app.notifications import views as notifications_views
from app.orgs import views as orgs_views
from app.outbox import tasks as outbox_tasks
from app.outbox import views as outbox_views
from app.panels import api as panels_api
from app.panels import schedule_views as panels_schedule_views
from app.panels import views as panels_views
from app.portal import views as portal_views
from app.precheck import views as precheck_views
from app.questionnaires import api as questionnaires_api
from app.questionnaires import views as questionnaires_views
from app.results import api as results_api
from app.results import views as results_views
from app.submissions import api as submissions_api
from app.submissions import submit_views as submissions_submit_views
from app.submissions import views as submissions_views
from app.verification import api as verification_api
from app.verification import views as verification_views
from app.web import home
from app.web.deps import csrf_protect, request_slots
from app.web.errors import install_error_handlers
from app.web.middleware import SecurityMiddleware
from app.web.openapi import install_api_openapi
from app.web.templating import compile_templates


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """What each app process does once when it starts serving, so that it falls before the first
    upload and not into it: start a PDF probe server (~0.1 s), and build the evidence storage's
    client (for S3, boto3's imports and service models: about a second of CPU that would
    otherwise stall the event loop at the first upload); compile the templates (~0.5 s) and open
    the request slots' database connections. Then the start-up heap is frozen out of
    the garbage collector's full passes (`GC_FREEZE`): ~280,000 objects that live as long as the
    process, which each full pass would otherwise walk again (~150 ms with the event loop
    stalled); the collector then only walks what requests leave behind."""
    pdfcheck.prestart()
    get_storage()
    compile_templates()
    # in the background: a database that does not answer yet must not hold up the start
    threading.Thread(target=open_connections, args=(request_slots(),), daemon=True).start()
    if get_settings().gc_freeze:
        gc.collect()
        gc.freeze()
    yield


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
        lifespan=_lifespan,
    )
    app.add_middleware(SecurityMiddleware)
    app.mount("/static", StaticFiles(directory=str(PROJECT_ROOT / "app" / "static")), name="static")
    # A request is matched against the routers in this order (FastAPI walks them one by one,
    # twice per request), so the busiest come first: the SAQ and verification APIs, evidence
    # uploads, the SAQ and verification pages, panels, the public portal. No route of one router
    # can match a path of another's (tests/web/test_routing.py), so the order never changes
    # which route answers.
    for module in (
        submissions_api,
        verification_api,
        evidence_api,
        submissions_views,
        verification_views,
        panels_views,
        portal_views,
        home,
        accounts_views,
        users_views,
        bodies_views,
        bodies_api,
        registration_views,
        orgs_views,
        jobs_views,
        cycles_views,
        cycles_api,
        dashboards_views,
        questionnaires_views,
        questionnaires_api,
        notifications_views,
        broadcast_views,
        outbox_views,
        helpdesk_views,
        helpdesk_view_as,
        results_views,
        certificates_views,
        results_api,
        internal_views,
        panels_schedule_views,
        panels_api,
        conflicts_views,
        evidence_views,
        audit_views,
        submissions_submit_views,
        improvement_views,
        precheck_views,
    ):
        app.include_router(module.router)
    install_error_handlers(app)
    install_api_openapi(app)
    _ = outbox_tasks  # periodic outbox delivery is registered on the queue
    _ = notification_tasks  # hourly reminders are registered on the queue
    _ = evidence_tasks  # nightly orphan sweep and retention purge
    return app
