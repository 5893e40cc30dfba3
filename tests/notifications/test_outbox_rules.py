import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.outbox.rules import (
    MAX_BACKOFF,
    Failure,
    MailNotConfigured,
    Status,
    address_problem,
    after_failure,
    backoff,
    classify,
    single_line,
)

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "address",
    ["ppid@kotapasuruan.go.id", "a.b+monev@ki.jatimprov.go.id", "x_y@sub-domain.example.id"],
)
def test_it_accepts_ordinary_addresses(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("", "kosong"),
        ("ppid kota@pasuruan.go.id", "spasi"),
        ("ppid@pasuruan.go.id\r\nBcc: x@y.id", "karakter kendali"),
        ("ppid.pasuruan.go.id", "tidak valid"),
        ("ppid@localhost", "tidak valid"),
        ("ppid@-kota.go.id", "tidak valid"),
        (".ppid@kota.go.id", "tidak valid"),
        ("pp..id@kota.go.id", "tidak valid"),
        ("ppid@kota.go.id.", "tidak valid"),
        ("ppid@10.0.0.1", "tidak valid"),
        ("a" * 250 + "@x.id", "terlalu panjang"),
    ],
)
def test_it_names_what_is_wrong_with_an_address(address: str, words: str) -> None:
    problem = address_problem(address)
    assert problem is not None and words in problem


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=1, max_value=3600))
def test_backoff_never_shrinks_and_stays_under_the_cap(attempts: int, base: int) -> None:
    assert timedelta(seconds=min(base, MAX_BACKOFF.total_seconds())) <= backoff(attempts, base)
    assert backoff(attempts, base) <= backoff(attempts + 1, base) <= MAX_BACKOFF


def test_backoff_doubles_from_the_base() -> None:
    assert [backoff(n, 60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


@pytest.mark.parametrize(
    ("exc", "permanent", "words"),
    [
        (smtplib.SMTPRecipientsRefused({"x@y.id": (550, b"no such user")}), True, "550"),
        (smtplib.SMTPRecipientsRefused({"x@y.id": (451, b"try later")}), False, "451"),
        (smtplib.SMTPSenderRefused(553, b"bad sender", "a@b.id"), True, "pengirim"),
        (smtplib.SMTPDataError(552, b"too big"), True, "menolak pesan"),
        (smtplib.SMTPDataError(421, b"busy"), False, "421"),
        (smtplib.SMTPAuthenticationError(535, b"bad"), False, "SMTP_USER"),
        (ConnectionRefusedError(111, "refused"), False, "koneksi ditolak"),
        (TimeoutError("timed out"), False, "waktu habis"),
        (smtplib.SMTPServerDisconnected("gone"), False, "tidak dapat dihubungi"),
        (smtplib.SMTPNotSupportedError("STARTTLS"), False, "SMTP_TLS"),
        (MailNotConfigured("SMTP belum dikonfigurasi."), False, "belum dikonfigurasi"),
        (RuntimeError("boom"), False, "tak terduga"),
    ],
)
def test_it_classifies_what_sending_raised(exc: BaseException, permanent: bool, words: str) -> None:
    failure = classify(exc)
    assert failure.permanent is permanent
    assert words in failure.message


def test_a_temporary_failure_is_retried_later_until_attempts_run_out() -> None:
    temporary = Failure("Server SMTP tidak dapat dihubungi.", permanent=False)
    nxt = after_failure(temporary, attempts=2, max_attempts=5, now=NOW, base_seconds=60)
    assert nxt.status == Status.PENDING and nxt.next_attempt_at == NOW + timedelta(minutes=2)
    last = after_failure(temporary, attempts=5, max_attempts=5, now=NOW, base_seconds=60)
    assert last.status == Status.FAILED and last.next_attempt_at is None


def test_a_permanent_failure_stops_at_once() -> None:
    nxt = after_failure(Failure("550", True), attempts=1, max_attempts=5, now=NOW, base_seconds=60)
    assert nxt.status == Status.FAILED


def test_a_header_value_stays_on_one_line() -> None:
    assert single_line("Undangan\r\nBcc: semua@x.id  bimtek") == "Undangan Bcc: semua@x.id bimtek"
    assert len(single_line("x" * 500)) == 300
