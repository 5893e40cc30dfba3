"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the tests that send e-mail."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.config import get_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return str(self.message.get_content())


@dataclass
class Mailbox:
    """What the SMTP server accepted; addresses in `reject` are refused with 550."""

    received: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.reject:
            return "550 5.1.1 Mailbox tidak dikenal"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(msg, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def use_smtp(monkeypatch: pytest.MonkeyPatch, port: int, **extra: Any) -> None:
    s = get_settings()
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_tls": "none",
        "smtp_user": "",
        "smtp_password": "",
        "smtp_timeout_seconds": 5.0,
        **extra,
    }
    for name, value in values.items():
        monkeypatch.setattr(s, name, value)


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """Start aiosmtpd on a free local port and point the settings at it."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    use_smtp(monkeypatch, port)
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(monkeypatch: pytest.MonkeyPatch) -> int:
    """Point the settings at a local port where nothing listens (connection refused)."""
    port = free_port()
    use_smtp(monkeypatch, port)
    return port
