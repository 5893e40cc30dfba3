"""Results pages: the whole flow through HTTP, and who may see what."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.results.models import Decree, DecreeStatus
from tests.factories import Factory, form, login
from tests.results.helpers import add_target, open_stage_now, set_rules, submit, targets


def _world(factory: Factory, db: Session):  # type: ignore[no-untyped-def]
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    open_stage_now(db, cycle)
    set_rules(db, cycle)
    ids = targets(db, cycle)
    second = add_target(factory, db, cycle, "pemkab_pemkot")
    submit(db, cycle, ids["pemkab_pemkot"], {"1.2": 0})  # 86,67
    submit(db, cycle, second, {"1.1": 0, "2.1.1": 0})  # 43,33
    submit(db, cycle, ids["opd_pemprov"])
    users = {
        "sek": factory.user(org, Role.SEKRETARIAT),
        "kom": factory.user(org, Role.KOMISIONER),
        "juri": factory.user(org, Role.JURI),
        "op": factory.user(
            org,
            Role.OPERATOR,
            body=db.get(__import__("app.bodies.models", fromlist=["Body"]).Body, second),
        ),
        "outsider": factory.user(factory.commission(), Role.SEKRETARIAT),
    }
    db.commit()
    return org, cycle, second, users


def test_a_cycle_is_computed_approved_published_and_amended_through_the_pages(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _org, cycle, second, u = _world(factory, db)
    base = f"/siklus/{cycle.id}"
    login(client, db, u["sek"])
    r = client.post(f"{base}/hasil/hitung", data=form())
    assert r.status_code == 303, r.text
    set_url = r.headers["location"]
    page = client.get(set_url)
    assert "86,67" in page.text and "Belum ada hasil terbit" in page.text
    set_id = set_url.rsplit("/", 1)[1]
    assert client.post(f"{base}/hasil/{set_id}/sk", data=form()).status_code == 303
    db.expire_all()
    decree = db.query(Decree).filter_by(cycle_id=cycle.id).one()
    # The sekretariat cannot approve; a komisioner can, with an SK number and date.
    assert (
        client.post(
            f"{base}/sk/{decree.id}/setujui", data=form(sk_number="1", sk_date="2025-12-01")
        ).status_code
        == 403
    )
    login(client, db, u["kom"])
    bad = client.post(f"{base}/sk/{decree.id}/setujui", data=form(sk_number="", sk_date=""))
    assert bad.status_code == 422 and "Isi nomor SK" in bad.text
    ok = client.post(
        f"{base}/sk/{decree.id}/setujui", data=form(sk_number="SK/7/2025", sk_date="2025-12-01")
    )
    assert ok.status_code == 303
    assert (
        client.post(f"{base}/sk/{decree.id}/terbitkan", data=form(embargo_until="")).status_code
        == 303
    )
    public = client.get(f"/hasil/{cycle.id}")
    assert public.status_code == 200 and "43,33" in public.text and "SK/7/2025" in public.text
    # Amendment: body `second` had 2.1.1 accepted after all.
    from sqlalchemy import select

    from app.submissions.models import Answer

    for a in db.scalars(select(Answer).where(Answer.body_id == second)):
        a.credit_scaled = 10_000
    db.commit()
    login(client, db, u["sek"])
    set2 = client.post(f"{base}/hasil/hitung", data=form()).headers["location"]
    diff = client.get(set2)
    assert "43,33 → 100,00" in diff.text and "2 → 1" in diff.text
    set2_id = set2.rsplit("/", 1)[1]
    refused = client.post(f"{base}/hasil/{set2_id}/sk", data=form(reason=""))
    assert refused.status_code == 422 and "alasan" in refused.text
    assert (
        client.post(
            f"{base}/hasil/{set2_id}/sk", data=form(reason="Salah hitung butir 2.1.1")
        ).status_code
        == 303
    )
    db.expire_all()
    new = db.query(Decree).filter_by(cycle_id=cycle.id, version=2).one()
    login(client, db, u["kom"])
    client.post(
        f"{base}/sk/{new.id}/setujui", data=form(sk_number="SK/8/2025", sk_date="2025-12-05")
    )
    assert client.post(f"{base}/sk/{new.id}/terbitkan", data=form()).status_code == 303
    db.expire_all()
    assert db.get(Decree, decree.id).status == DecreeStatus.SUPERSEDED  # type: ignore[union-attr]
    public = client.get(f"/hasil/{cycle.id}")
    assert "Koreksi" in public.text and "Salah hitung" in public.text
    old = client.get(f"/hasil/{cycle.id}?versi=1")
    assert "telah digantikan" in old.text and "43,33" in old.text


def test_the_body_sees_its_own_computation_only_once_published(
    client: TestClient, factory: Factory, db: Session
) -> None:
    from app.cycles.access import system_actor
    from app.results import service

    org, cycle, second, u = _world(factory, db)
    login(client, db, u["op"])
    url = f"/siklus/{cycle.id}/hasil/badan/{second}"
    assert client.get(url).status_code == 404
    kom = factory.actor(u["kom"])
    rs = service.compute_and_store(db, system_actor(org.id), cycle)
    d = service.draft_decree(db, system_actor(org.id), cycle, rs)
    service.approve_decree(db, kom, cycle, d, sk_number="SK/1", sk_date="2025-12-01")
    service.publish_decree(db, kom, cycle, d)
    db.commit()
    page = client.get(url)
    assert page.status_code == 200 and "43,33" in page.text and "tidak bisa" not in page.text
    assert "dibulatkan sendiri-sendiri" in page.text
    other = targets(db, cycle)["opd_pemprov"]
    assert client.get(f"/siklus/{cycle.id}/hasil/badan/{other}").status_code == 404


def test_results_pages_refuse_other_roles_and_other_commissions(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _org, cycle, _second, u = _world(factory, db)
    login(client, db, u["juri"])
    assert client.get(f"/siklus/{cycle.id}/hasil").status_code == 403
    login(client, db, u["outsider"])
    assert client.get(f"/siklus/{cycle.id}/hasil").status_code == 404
    login(client, db, u["kom"])
    assert client.get(f"/siklus/{cycle.id}/hasil").status_code == 200
    assert client.post(f"/siklus/{cycle.id}/hasil/hitung", data=form()).status_code == 403


def test_component_scores_upload_keeps_nothing_when_a_row_is_wrong(
    client: TestClient, factory: Factory, db: Session
) -> None:
    from app.cycles.rules import Component

    _org, cycle, second, u = _world(factory, db)
    set_rules(
        db, cycle, components=(Component("saq", "SAQ", 80), Component("visitasi", "Visitasi", 20))
    )
    db.commit()
    login(client, db, u["sek"])
    bad = f"body,component,score\n{second},visitasi,77\n{second},website,50\n".encode()
    r = client.post(
        f"/siklus/{cycle.id}/komponen", data=form(), files={"file": ("n.csv", bad, "text/csv")}
    )
    assert r.status_code == 422 and "Baris 3" in r.text
    good = f'body,component,score\n{second},visitasi,"77,5"\n'.encode()
    r = client.post(
        f"/siklus/{cycle.id}/komponen", data=form(), files={"file": ("n.csv", good, "text/csv")}
    )
    assert r.status_code == 303
    assert "77,50" in client.get(f"/siklus/{cycle.id}/komponen").text


def test_exports_escape_formulas_and_render_the_decree_documents(
    client: TestClient, factory: Factory, db: Session
) -> None:
    import io

    from openpyxl import load_workbook

    from app.bodies.models import Body
    from app.cycles.access import system_actor
    from app.results import service

    org, cycle, second, u = _world(factory, db)
    body = db.get(Body, second)
    assert body is not None
    body.name = "=HYPERLINK(1)"
    kom = factory.actor(u["kom"])
    rs = service.compute_and_store(db, system_actor(org.id), cycle)
    d = service.draft_decree(db, system_actor(org.id), cycle, rs)
    service.approve_decree(db, kom, cycle, d, sk_number="SK/9", sk_date="2025-12-01")
    db.commit()
    login(client, db, u["sek"])
    text = client.get(f"/siklus/{cycle.id}/hasil/{rs.id}/ekspor.csv").text
    assert "'=HYPERLINK(1)" in text and "43.33" in text
    xlsx = client.get(f"/siklus/{cycle.id}/hasil/{rs.id}/ekspor.xlsx").content
    ws = load_workbook(io.BytesIO(xlsx)).active
    assert ws is not None
    assert "'=HYPERLINK(1)" in [c.value for c in ws["C"]]
    for kind in ("lampiran", "berita-acara"):
        pdf = client.get(f"/siklus/{cycle.id}/sk/{d.id}/{kind}.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/siklus/{cycle.id}/sk/{d.id}/lain.pdf").status_code == 404
    login(client, db, u["juri"])
    assert client.get(f"/siklus/{cycle.id}/hasil/{rs.id}/ekspor.csv").status_code == 403
