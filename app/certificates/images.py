"""Uploaded logo and signature images: check that they really are images, then normalise them."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from app.errors import ValidationFailed

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 6000 * 6000
ALLOWED_FORMATS = {"PNG": "PNG", "JPEG": "JPEG"}
# Longest side kept: a 64 pt logo at 600 px is ~675 dpi, sharper than any print.
MAX_SIDE_PX = 600


@dataclass(frozen=True)
class PreparedImage:
    """A checked image, re-encoded as PNG (so odd encoders, EXIF and metadata are dropped)."""

    png: bytes
    width: int
    height: int

    @property
    def aspect(self) -> float:
        return self.width / self.height


def prepare_image(data: bytes, *, field: str, label: str) -> PreparedImage:
    """Validate an uploaded PNG/JPEG and return it normalised; ValidationFailed otherwise.

    `field` names the form field for the error, `label` the image in the message ("Logo")."""

    def fail(reason: str) -> ValidationFailed:
        msg = f"{label} {reason}"
        return ValidationFailed(msg, field_errors={field: msg})

    if not data:
        raise fail("kosong: unggah berkas gambar PNG atau JPEG.")
    if len(data) > MAX_IMAGE_BYTES:
        raise fail(f"terlalu besar (maksimum {MAX_IMAGE_BYTES // (1024 * 1024)} MB).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                probe.verify()
            if fmt not in ALLOWED_FORMATS:
                raise fail(f"harus berupa gambar PNG atau JPEG (bukan {fmt or 'format lain'}).")
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise fail("berukuran piksel terlalu besar.")
                img.load()
                picture = _normalise(img)
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise fail("bukan berkas gambar yang valid (PNG atau JPEG).") from None
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=False, compress_level=6)
    return PreparedImage(png=out.getvalue(), width=picture.width, height=picture.height)


def _normalise(img: Image.Image) -> Image.Image:
    """RGB or RGBA, at most MAX_SIDE_PX on its longest side."""
    mode = "RGBA" if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info else "RGB"
    picture = img.convert(mode)
    if max(picture.size) > MAX_SIDE_PX:
        scale = MAX_SIDE_PX / max(picture.size)
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return picture
