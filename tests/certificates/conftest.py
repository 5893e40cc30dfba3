"""Fixtures of the certificate tests: the KI Jatim sample award list and issuer (no database)."""

from __future__ import annotations

import pytest

from app.certificates.render import Issuer
from app.certificates.rules import CertificateData
from app.certificates.samples import sample_award_list, sample_issuer


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return sample_issuer()


@pytest.fixture
def awards() -> list[CertificateData]:
    return sample_award_list()
