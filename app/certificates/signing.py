"""Optional PAdES signatures of certificate PDFs with pyHanko, per commission.

A commission signs when the installation has its key: `PIAGAM_SIGNING_DIR/<commission slug>.p12`
(PKCS#12 with the private key and certificate), with its passphrase in `<slug>.pass` next to it
(no passphrase file: a key without passphrase). Keys and passphrases stay out of the database.
Signed output is not deterministic (it carries the signing time); unsigned output is.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.config import get_settings
from app.errors import ValidationFailed

log = logging.getLogger("monev.certificates")

FIELD_NAME = "TandaTanganPiagam"


@dataclass(frozen=True)
class SigningKey:
    """A loaded PKCS#12 signer of one commission."""

    signer: signers.SimpleSigner
    subject: str


def load_key(p12: bytes, passphrase: bytes | None) -> SigningKey:
    """A signer from PKCS#12 bytes; ValidationFailed when the file or passphrase is wrong."""
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=(), passphrase=passphrase)
    except Exception:  # pyHanko raises assorted errors for a bad file or passphrase
        signer = None
    if signer is None or signer.signing_cert is None:
        raise ValidationFailed("Kunci tanda tangan PKCS#12 tidak dapat dibuka.")
    return SigningKey(signer=signer, subject=signer.signing_cert.subject.human_friendly)


def key_paths(slug: str, directory: Path) -> tuple[Path, Path]:
    return directory / f"{slug}.p12", directory / f"{slug}.pass"


def commission_key(slug: str) -> SigningKey | None:
    """The configured key of the commission with this slug, or None when it does not sign."""
    directory = get_settings().piagam_signing_dir
    if directory is None:
        return None
    p12, pass_file = key_paths(slug, directory)
    if not p12.is_file():
        return None
    passphrase = pass_file.read_bytes().strip() if pass_file.is_file() else None
    return load_key(p12.read_bytes(), passphrase)


def sign_pdf(pdf: bytes, key: SigningKey, *, reason: str, location: str) -> bytes:
    """`pdf` with an invisible PAdES (ETSI.CAdES.detached) signature appended."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    out = signers.sign_pdf(writer, meta, signer=key.signer)
    return bytes(out.getvalue())


@dataclass(frozen=True)
class SignatureCheck:
    """What the verification page says about a stored signed file."""

    intact: bool
    signer: str = ""
    by_commission_key: bool = False  # made with the commission's configured key


def check_signature(pdf: bytes, key: SigningKey | None = None) -> SignatureCheck:
    """Is the file's signature cryptographically intact (the bytes it covers are unchanged)?

    The commission's configured key (`key`) is the only trust root: a signature made with it
    counts as the commission's; no public PKI is consulted and nothing is fetched."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
        if not sigs:
            return SignatureCheck(intact=False)
        roots = [key.signer.signing_cert] if key is not None else []
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = validate_pdf_signature(sigs[-1], signer_validation_context=context)
        signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
        covers_all = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
        return SignatureCheck(
            intact=bool(status.intact and status.valid and covers_all),
            signer=signer,
            by_commission_key=bool(status.trusted),
        )
    except Exception:  # a damaged file is simply not intact
        log.info("signature check failed", exc_info=True)
        return SignatureCheck(intact=False)
