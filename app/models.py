"""Import every model module so metadata is complete (Alembic, tests, scripts)."""

from app.accounts import models as accounts_models
from app.audit import models as audit_models
from app.bodies import models as bodies_models
from app.evidence import models as evidence_models
from app.imports import models as imports_models
from app.jobs import models as jobs_models
from app.orgs import models as orgs_models
from app.outbox import models as outbox_models

__all__ = [
    "accounts_models",
    "audit_models",
    "bodies_models",
    "evidence_models",
    "imports_models",
    "jobs_models",
    "orgs_models",
    "outbox_models",
]
