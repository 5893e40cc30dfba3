"""Certificate pages through HTTP: the ceremony flow a new user follows, bad input shown in the
page, the public verification page, and who may do what."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlsplit

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Actor
from app.certificates import service
from app.certificates.models import Certificate
from app.config import get_settings
from tests.certificates.helpers import image_bytes, page_images, page_texts
from tests.certificates.world import Ceremony, amend_third_to_full_marks, ceremony
from tests.factories import Factory, form, login


def _login(client: TestClient, db: Session, actor: Actor) -> None:
    user = db.get(User, actor.user_id)
    assert user is not None
    login(client, db, user)


def _page(c: Ceremony) -> str:
    return f"/siklus/{c.cycle.id}/piagam"


def _print_whole_list(client: TestClient, c: Ceremony, fmt: str = "pdf") -> bytes:
    r = client.post(f"{_page(c)}/cetak", data=form(format=fmt), follow_redirects=False)
    assert r.status_code == 303, r.text
    job_page = r.headers["location"]
    assert job_page.startswith("/pekerjaan/")
    assert client.get(job_page).status_code == 200  # the progress page
    download = client.get(f"{job_page}/unduh")
    assert download.status_code == 200, download.text
    return download.content


def test_ceremony_staff_print_the_award_list_scan_a_qr_code_and_see_a_reissue(
    client: TestClient, factory: Factory, db: Session
) -> None:
    c = ceremony(db, factory)
    _login(client, db, c.sek)
    r = client.post(f"{_page(c)}/terbitkan", data=form(), follow_redirects=False)
    assert r.status_code == 303
    certs = service.valid_certificates(db, c.cycle)
    by_serial = {x.serial: service.certificate_data(x) for x in certs}

    # The panitia prints the whole list as one PDF and opens it.
    _login(client, db, c.panitia)
    pdf = _print_whole_list(client, c)
    texts = page_texts(pdf)
    assert len(texts) == len(certs)
    for text in texts:
        serial = re.search(r"Nomor seri: (\d{4}-[0-9A-Z]{8})", text)
        assert serial is not None
        data = by_serial[serial.group(1)]
        assert data.body in text and data.decree_number in text and "Surabaya" in text

    # Scanning the first page's QR code leads to the public page of that certificate.
    image = page_images(pdf, scale=2.0)[0]
    (code,) = zxingcpp.read_barcodes(image)
    url = urlsplit(code.text)
    assert f"{url.scheme}://{url.netloc}" == get_settings().base_url
    client.cookies.clear()
    public = client.get(url.path)
    assert public.status_code == 200 and "sah dan berlaku" in public.text
    scanned = url.path.rsplit("/", 1)[1]
    assert by_serial[scanned].body in public.text

    # An amended decree moves the third body up; the sekretariat issues again.
    third = next(
        x for x in certs if x.body_id == c.bodies["third"] and x.award_key.startswith("top")
    )
    amend_third_to_full_marks(db, c)
    _login(client, db, c.sek)
    r = client.post(f"{_page(c)}/terbitkan", data=form(), follow_redirects=True)
    # Third moves up, second moves down (both reissued); third is now also Informatif.
    assert "1 piagam baru, 2 diterbitkan ulang, 0 dicabut" in r.text
    db.refresh(third)
    new = db.get(Certificate, third.superseded_by_id)
    assert new is not None
    client.cookies.clear()
    old_page = client.get(f"/piagam/{third.serial}")
    assert old_page.status_code == 200 and "telah digantikan" in old_page.text
    assert f'href="/piagam/{new.serial}"' in old_page.text
    new_page = client.get(f"/piagam/{new.serial}")
    assert "sah dan berlaku" in new_page.text and "SK/2/KI/2025" in new_page.text


def test_an_unknown_serial_gets_a_404_page_that_tells_nothing(
    client: TestClient, factory: Factory, db: Session
) -> None:
    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    db.commit()
    real = service.valid_certificates(db, c.cycle)[0]
    # the real serial with its last character changed (never to itself: serials are random)
    altered = real.serial[:-1] + ("1" if real.serial.endswith("0") else "0")
    for serial in ("2025-ZZZZZZZZ", "xyz", altered):
        r = client.get(f"/piagam/{serial}")
        assert r.status_code == 404
        assert service.NOT_FOUND_MESSAGE in r.text
        assert real.serial not in r.text and c.org.name not in r.text
        assert service.certificate_data(real).body not in r.text


def test_bad_template_and_bad_images_are_shown_in_the_page_and_nothing_is_lost(
    client: TestClient, factory: Factory, db: Session
) -> None:
    c = ceremony(db, factory)
    db.commit()
    _login(client, db, c.sek)
    page = client.get(_page(c))
    assert page.status_code == 200 and "Templat per jenis penghargaan" in page.text
    r = client.post(
        f"{_page(c)}/templat/peringkat",
        data=form(title="Juara {juara}", body_text="Untuk {body}"),
    )
    assert r.status_code == 422
    assert "Kolom isian tidak dikenal: {juara}" in r.text
    assert 'value="Juara {juara}"' in r.text  # what was typed is kept
    r = client.post(
        f"{_page(c)}/pengaturan",
        data=form(place="Surabaya", issued_on="", signatory_name="A", signatory_title="B"),
        files={"logo": ("logo.png", b"ini bukan gambar", "image/png")},
    )
    assert r.status_code == 422 and "Logo bukan berkas gambar yang valid" in r.text
    png = image_bytes(Image.new("RGB", (120, 60), (10, 60, 120)))
    r = client.post(
        f"{_page(c)}/pengaturan",
        data=form(place="Surabaya", issued_on="", signatory_name="A", signatory_title="B"),
        files={"logo": ("logo.png", png, "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        f"{_page(c)}/templat/peringkat",
        data=form(title="Juara {rank}", body_text="Untuk {body} di {category}"),
        follow_redirects=False,
    )
    assert r.status_code == 303
    preview = client.get(f"{_page(c)}/templat/peringkat/pratinjau")
    assert preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-disposition"].startswith("inline")
    assert "Juara" in page_texts(preview.content)[0]
    draft = client.post(
        f"{_page(c)}/templat/peringkat/pratinjau", data=form(title="{x}", body_text="b")
    )
    assert draft.status_code == 422 and "{x}" in draft.text
    draft = client.post(
        f"{_page(c)}/templat/khusus/pratinjau", data=form(title="Draf {year}", body_text="b")
    )
    assert draft.status_code == 200 and "Draf 2025" in page_texts(draft.content)[0]
    assert "Draf {year}" not in client.get(_page(c)).text  # a preview stores nothing


def test_revoke_and_reissue_through_the_page_and_the_run_sheet(
    client: TestClient, factory: Factory, db: Session
) -> None:
    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    db.commit()
    first, second = service.valid_certificates(db, c.cycle)[:2]
    _login(client, db, c.sek)
    r = client.post(f"{_page(c)}/{first.id}/cabut", data=form(reason=""))
    assert r.status_code == 422 and "Alasan pencabutan wajib diisi" in r.text
    r = client.post(
        f"{_page(c)}/{first.id}/cabut", data=form(reason="Salah nama"), follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(
        f"{_page(c)}/{second.id}/terbitkan-ulang",
        data=form(reason="Salah cetak"),
        follow_redirects=False,
    )
    assert r.status_code == 303
    client.cookies.clear()
    assert "Salah nama" in client.get(f"/piagam/{first.serial}").text
    _login(client, db, c.panitia)
    page = client.get(_page(c))
    assert page.status_code == 200 and "Dicabut" in page.text
    assert "Simpan templat" not in page.text and "/cabut" not in page.text  # read-only
    sheet = client.get(f"{_page(c)}/susunan-acara.xlsx")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    pdf = client.get(f"{_page(c)}/susunan-acara.pdf")
    valid = service.valid_certificates(db, c.cycle)
    assert all(x.serial in page_texts(pdf.content)[0] for x in valid[:3])
    assert first.serial not in page_texts(pdf.content)[0]
    single = client.get(f"{_page(c)}/{valid[0].id}/unduh")
    assert single.headers["content-type"] == "application/pdf"
    archive = _print_whole_list(client, c, "zip")
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert len(z.namelist()) == len(valid)


def test_other_roles_and_commissions_are_refused(
    client: TestClient, factory: Factory, db: Session
) -> None:
    from app.accounts.rules import Role

    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    cert = service.valid_certificates(db, c.cycle)[0]
    outsider = factory.user(factory.commission(), Role.SEKRETARIAT)
    db.commit()
    login(client, db, outsider)
    assert client.get(_page(c)).status_code == 404
    assert client.get(f"{_page(c)}/{cert.id}/unduh").status_code == 404
    _login(client, db, c.kom)
    assert client.get(_page(c)).status_code == 403
    _login(client, db, c.panitia)
    r = client.post(f"{_page(c)}/{cert.id}/cabut", data=form(reason="x"))
    assert r.status_code == 403
    r = client.post(f"{_page(c)}/terbitkan", data=form())
    assert r.status_code == 403
    db.refresh(cert)
    assert cert.status == "valid"


def test_the_panitia_finds_the_certificate_page_from_the_home_page(
    client: TestClient, factory: Factory, db: Session
) -> None:
    c = ceremony(db, factory)
    db.commit()
    _login(client, db, c.panitia)
    home = client.get("/beranda")
    assert f'href="{_page(c)}"' in home.text
