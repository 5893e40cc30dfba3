"""Import every model module so metadata is complete (Alembic, tests, scripts)."""

from app.accounts import models as accounts_models
from app.audit import models as audit_models
from app.bodies import models as bodies_models
from app.certificates import models as certificates_models
from app.conflicts import models as conflicts_models
from app.cycles import models as cycles_models
from app.evidence import models as evidence_models
from app.helpdesk import models as helpdesk_models
from app.imports import models as imports_models
from app.improvement import models as improvement_models
from app.internal import models as internal_models
from app.jobs import models as jobs_models
from app.notifications import models as notifications_models
from app.orgs import models as orgs_models
from app.outbox import models as outbox_models
from app.panels import models as panels_models
from app.precheck import models as precheck_models
from app.questionnaires import models as questionnaires_models
from app.results import models as results_models
from app.submissions import models as submissions_models
from app.verification import models as verification_models

__all__ = [
    "accounts_models",
    "audit_models",
    "bodies_models",
    "certificates_models",
    "conflicts_models",
    "cycles_models",
    "evidence_models",
    "helpdesk_models",
    "imports_models",
    "improvement_models",
    "internal_models",
    "jobs_models",
    "notifications_models",
    "orgs_models",
    "outbox_models",
    "panels_models",
    "precheck_models",
    "questionnaires_models",
    "results_models",
    "submissions_models",
    "verification_models",
]
