"""Domain errors raised by services; one handler renders them as a page or a JSON problem."""

from __future__ import annotations


class DomainError(Exception):
    """Base of all errors a user may cause; `message` is shown to the user (Bahasa Indonesia)."""

    status_code = 400
    title = "Permintaan tidak dapat diproses"

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class NotFound(DomainError):
    status_code = 404
    title = "Tidak ditemukan"


class Gone(DomainError):
    status_code = 410
    title = "Sudah tidak tersedia"


class Forbidden(DomainError):
    status_code = 403
    title = "Akses ditolak"


class NotAuthenticated(DomainError):
    status_code = 401
    title = "Perlu masuk"


class InvalidTransition(DomainError):
    status_code = 409
    title = "Tahap tidak sesuai"


class Conflict(DomainError):
    status_code = 409
    title = "Terjadi konflik"


class DeadlinePassed(DomainError):
    status_code = 409
    title = "Batas waktu terlewati"


class ValidationFailed(DomainError):
    status_code = 422
    title = "Data tidak valid"


class TooManyRequests(DomainError):
    status_code = 429
    title = "Terlalu banyak percobaan"


class PayloadTooLarge(DomainError):
    status_code = 413
    title = "Berkas terlalu besar"


# Errors a form page shows again with the user's input kept. Permission errors (Forbidden,
# NotFound, NotAuthenticated) are never caught by views: the global handler answers them.
RECOVERABLE = (ValidationFailed, Conflict, InvalidTransition, DeadlinePassed)
