from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.notifications.rules import (
    BodyContact,
    BroadcastRenderError,
    OperatorContact,
    check_broadcast,
    invitation_reminder_due,
    render_broadcast,
    resolve_recipients,
    safe_link,
    wants_email,
)

CTX = {
    "body_name": "Pemerintah Kota Pasuruan",
    "recipient_name": "Budi",
    "category": "Pemerintah Kabupaten/Kota",
    "commission": "Komisi Informasi Provinsi Jawa Timur",
    "login_url": "https://monev.example/masuk",
}


def test_a_broadcast_with_known_variables_renders_per_recipient() -> None:
    subject, body = render_broadcast(
        "Undangan bimtek untuk {{ body_name }}",
        "Yth. {{ recipient_name }},\n\n{{ commission }} mengundang Anda. Masuk: {{ login_url }}\n",
        CTX,
    )
    assert subject == "Undangan bimtek untuk Pemerintah Kota Pasuruan"
    assert body.startswith("Yth. Budi,") and "https://monev.example/masuk" in body


@pytest.mark.parametrize(
    ("subject", "body", "field", "words"),
    [
        ("", "isi", "subject", "Wajib"),
        ("Judul", "  ", "body", "Wajib"),
        ("Judul {{ nama_bdan }}", "isi", "subject", "{{ nama_bdan }}"),
        ("Judul", "Halo {{ password }}", "body", "Variabel tidak dikenal"),
        ("Judul", "Halo {{ body_name", "body", "Penulisan variabel salah"),
        ("x" * 201, "isi", "subject", "Terlalu panjang"),
    ],
)
def test_it_rejects_broken_or_unknown_broadcast_templates(
    subject: str, body: str, field: str, words: str
) -> None:
    errors = check_broadcast(subject, body)
    assert words in errors[field]


def test_a_valid_broadcast_has_no_errors() -> None:
    assert check_broadcast("Pengumuman {{ commission }}", "Yth. {{ recipient_name }}") == {}


def test_rendering_is_sandboxed_and_strict() -> None:
    with pytest.raises(BroadcastRenderError, match="Variabel tidak tersedia"):
        render_broadcast("x", "{{ body_name.tidak_ada }}", CTX)
    with pytest.raises(BroadcastRenderError):
        render_broadcast("x", "{{ body_name.__class__.__mro__ }}", CTX)


def _body(i: int, email: str = "", ppid: str = "") -> BodyContact:
    return BodyContact(id=i, name=f"Badan {i}", category="Kota", email=email, ppid_email=ppid)


def test_operators_receive_and_the_body_address_is_only_a_fallback() -> None:
    bodies = [_body(1, "kota1@x.id"), _body(2, "kota2@x.id"), _body(3, "", "ppid3@x.id"), _body(4)]
    ops = [
        OperatorContact(1, 10, "Ani", "ani@x.id"),
        OperatorContact(1, 11, "Ani lagi", "ANI@x.id"),
        OperatorContact(1, 12, "Budi", "budi@x.id"),
    ]
    out = resolve_recipients(bodies, ops)
    assert [(r.body_id, r.address, r.user_id) for r in out.recipients] == [
        (1, "ani@x.id", 10),
        (1, "budi@x.id", 12),
        (2, "kota2@x.id", None),
        (3, "ppid3@x.id", None),
    ]
    assert [b.id for b in out.without_address] == [4]
    assert out.recipients[2].name == "Bapak/Ibu PPID"


def test_an_invalid_address_is_kept_and_marked() -> None:
    out = resolve_recipients([_body(1, "bukan email")], [])
    assert [r.problem is not None for r in out.recipients] == [True]
    assert out.invalid == out.recipients


emails = st.sampled_from(["", "a@x.id", "A@X.ID", "b@x.id", "c@y.id", "rusak"])


@given(
    st.lists(st.tuples(emails, emails), max_size=8),
    st.lists(st.tuples(st.integers(0, 7), emails), max_size=12),
)
def test_every_body_is_either_reached_or_reported_and_no_address_twice_per_body(
    body_emails: list[tuple[str, str]], op_rows: list[tuple[int, str]]
) -> None:
    bodies = [_body(i, e, p) for i, (e, p) in enumerate(body_emails)]
    ops = [OperatorContact(b, 100 + n, f"Op {n}", e) for n, (b, e) in enumerate(op_rows)]
    out = resolve_recipients(bodies, ops)
    reached = {r.body_id for r in out.recipients}
    reported = {b.id for b in out.without_address}
    assert reached | reported == {b.id for b in bodies} and not reached & reported
    pairs = [(r.body_id, r.address.lower()) for r in out.recipients]
    assert len(pairs) == len(set(pairs))
    assert all(r.address for r in out.recipients)


def test_links_must_stay_inside_the_application() -> None:
    assert safe_link("/bantuan/3") == "/bantuan/3"
    assert safe_link("") == ""
    for bad in ("https://jahat.id", "//jahat.id", "/\\jahat.id", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            safe_link(bad)


def test_mandatory_mail_ignores_the_opt_out() -> None:
    assert wants_email(mandatory=True, opted_out=True)
    assert not wants_email(mandatory=False, opted_out=True)
    assert wants_email(mandatory=False, opted_out=False)


def test_an_invitation_reminder_is_due_after_n_days_and_not_for_ancient_ones() -> None:
    sent = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)

    def due(after: timedelta) -> bool:
        return invitation_reminder_due(
            invited_at=sent, now=sent + after, after_days=3, max_age_days=30
        )

    assert not due(timedelta(days=2, hours=23))
    assert due(timedelta(days=3))
    assert due(timedelta(days=29))
    assert not due(timedelta(days=30))
