"""Personas and objects for tests, built through the services where it matters."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.rules import Actor
from app.bodies.models import Body
from app.cycles.models import Cycle
from app.cycles.rules import to_local_input
from app.db import utcnow
from app.orgs.models import Organisation
from app.orgs.service import create_commission, upsert_category
from app.web.deps import CSRF_COOKIE, SESSION_COOKIE

_seq = itertools.count(1)

CSRF = "test-csrf-token-0123456789abcdef"


class Factory:
    def __init__(self, db: Session) -> None:
        self.db = db

    def commission(self, short_name: str | None = None, **kw: Any) -> Organisation:
        n = next(_seq)
        org = create_commission(
            self.db,
            slug=kw.pop("slug", f"ki-test-{n}"),
            name=kw.pop("name", f"Komisi Informasi Uji {n}"),
            short_name=short_name or f"KI Uji {n}",
            **kw,
        )
        upsert_category(self.db, org.id, "pemkab_pemkot", "Pemerintah Kabupaten/Kota", 0)
        upsert_category(self.db, org.id, "opd_pemprov", "OPD Pemerintah Provinsi", 1)
        return org

    def body(self, org: Organisation, name: str | None = None, **kw: Any) -> Body:
        b = Body(
            organisation_id=org.id,
            name=name or f"Pemerintah Kota Uji {next(_seq)}",
            default_category_code=kw.pop("category", "pemkab_pemkot"),
            **kw,
        )
        self.db.add(b)
        self.db.flush()
        return b

    def user(
        self,
        org: Organisation | None = None,
        *roles: str,
        body: Body | None = None,
        password: str | None = None,
        is_admin: bool = False,
        email: str | None = None,
        full_name: str | None = None,
    ) -> User:
        n = next(_seq)
        user = accounts.create_user(
            self.db,
            email=email or f"user{n}@uji.example.id",
            full_name=full_name or f"Pengguna Uji {n}",
            password=password,
            is_admin=is_admin,
        )
        for role in roles:
            assert org is not None
            accounts.grant_role(self.db, user=user, organisation=org, role=role, body=body)
        self.db.flush()
        return user

    def actor(self, user: User, org: Organisation | None = None) -> Actor:
        return accounts.build_actor(self.db, user, org.id if org else None)

    def cycle(
        self,
        org: Organisation,
        *,
        name: str | None = None,
        year: int = 2025,
        ready: bool = True,
        is_open: bool = False,
        saq_open: bool = True,
        now: datetime | None = None,
    ) -> Cycle:
        """A cycle of `org`. `ready`: one target body per category, the small questionnaire
        and a schedule (SAQ open around `now` when `saq_open`, else starting in 5 days)."""
        from app.cycles import categories
        from app.cycles import service as cycles
        from app.cycles.access import system_actor
        from app.questionnaires import transfer
        from app.questionnaires.rules import NodeRow

        actor = system_actor(org.id)
        cycle = cycles.create_cycle(
            self.db,
            actor,
            name=name or f"Monev Uji {next(_seq)}",
            year=year,
            fill_from_catalogue=ready,
        )
        if not ready:
            return cycle
        for cat in categories.categories_of(self.db, cycle):
            body = self.body(org, category=cat.code)
            categories.set_target(self.db, actor, cycle, body_id=body.id, category_id=cat.id)
        rows = [NodeRow.from_mapping(i, r) for i, r in enumerate(_csv(SMALL_QUESTIONNAIRE), 2)]
        transfer.import_rows(self.db, cycle, rows, name="Kuesioner uji", actor_user_id=None)
        return self.schedule(org, cycle, now=now, saq_open=saq_open, is_open=is_open)

    def schedule(
        self,
        org: Organisation,
        cycle: Cycle,
        *,
        now: datetime | None = None,
        saq_open: bool = True,
        is_open: bool = False,
    ) -> Cycle:
        """Give a cycle the usual stage windows (SAQ open around `now`) and open it if asked."""
        from app.cycles import schedule
        from app.cycles import service as cycles
        from app.cycles.access import system_actor

        actor = system_actor(org.id)
        now = now or utcnow()
        day = timedelta(days=1)
        saq_start = now - day if saq_open else now + 5 * day
        windows = {
            "registration": (saq_start - 20 * day, saq_start - 10 * day),
            "saq": (saq_start, saq_start + 10 * day),
            "verification": (saq_start + 11 * day, saq_start + 20 * day),
            "shortlist": (saq_start + 21 * day, saq_start + 22 * day),
            "presentation": (saq_start + 23 * day, saq_start + 25 * day),
            "publication": (saq_start + 30 * day, saq_start + 31 * day),
        }
        tz = org.timezone
        schedule.save_stages(
            self.db,
            actor,
            cycle,
            [
                schedule.StageEntry(
                    code, True, str(i), to_local_input(o, tz), to_local_input(c, tz)
                )
                for i, (code, (o, c)) in enumerate(windows.items(), start=1)
            ],
        )
        if is_open:
            cycles.open_cycle(self.db, actor, cycle, now=now)
        return cycle

    def presentation_cycle(self, org: Organisation, *, bodies: int = 4) -> tuple[Cycle, list[Body]]:
        """An open cycle whose presentation stage is open now, with `bodies` shortlisted."""
        from decimal import Decimal

        from app.cycles import categories
        from app.cycles.access import system_actor
        from app.results.models import ShortlistEntry

        cycle = self.cycle(org, is_open=True, now=utcnow() - timedelta(days=23, hours=12))
        cat = categories.categories_of(self.db, cycle)[0]
        listed: list[Body] = []
        for i in range(bodies):
            body = self.body(org, name=f"Badan Presentasi {next(_seq)}-{i}")
            categories.set_target(
                self.db, system_actor(org.id), cycle, body_id=body.id, category_id=cat.id
            )
            self.db.add(
                ShortlistEntry(
                    organisation_id=org.id,
                    cycle_id=cycle.id,
                    body_id=body.id,
                    published_saq=Decimal("75.50"),
                )
            )
            listed.append(body)
        self.db.flush()
        return cycle, listed


SMALL_QUESTIONNAIRE = """\
code,parent,kind,text,weight,answer_type,options,evidence,file_types,applies_to,guidance
1,,indicator,Kualitas Informasi,40,,,,,all,Mutu informasi.
1.1,1,item,Informasi dimutakhirkan berkala,2,choice,Bulanan:1|Tahunan:0.5|Tidak:0,link,,all,
1.2,1,item,DIP ditetapkan,1,yes_no,,file,pdf,all,Unggah SK DIP.
2,,indicator,Jenis Informasi,60,,,,,all,
2.1,2,group,Informasi berkala,,,,,,all,
2.1.1,2.1,item,Profil badan publik,1,yes_no,,link,,all,
2.1.2,2.1,item,Laporan keuangan diaudit,2,yes_no,,file_or_link,pdf,opd_pemprov,
2.1.3,2.1,item,Kajian yang dipublikasikan,1,text_and_evidence,,file_or_link,pdf,all,Tulis judulnya.
"""


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def login(client: TestClient, db: Session, user: User) -> TestClient:
    """Give the test client a logged-in session cookie for `user` and a CSRF cookie."""
    new = accounts.start_session(db, user, ip="testclient", user_agent="pytest", old_token=None)
    db.flush()
    set_cookie(client, SESSION_COOKIE, new.token)
    set_cookie(client, CSRF_COOKIE, CSRF)
    return client


def set_cookie(client: TestClient, name: str, value: str) -> None:
    """Set a cookie exactly where the server's own Set-Cookie would put it (replacing it)."""
    client.cookies.set(name, value, domain="testserver.local", path="/")


def form(**fields: Any) -> dict[str, Any]:
    """Form data with the CSRF token a logged-in test client carries."""
    return {"csrf_token": CSRF, **fields}
