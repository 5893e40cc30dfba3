import io

import pytest
from PIL import Image

from app.certificates.images import MAX_SIDE_PX, prepare_image
from app.certificates.samples import sample_logo_png
from app.errors import ValidationFailed
from tests.certificates.helpers import image_bytes


def _refused(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as err:
        prepare_image(data, field="logo", label="Logo")
    assert err.value.field_errors["logo"] == err.value.message
    assert err.value.message.startswith("Logo ")
    return err.value


@pytest.mark.parametrize(
    "data",
    [
        b"bukan gambar, hanya teks",
        b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature with nothing behind it
    ],
)
def test_a_logo_that_is_not_an_image_is_refused_clearly(data: bytes) -> None:
    assert "bukan berkas gambar yang valid" in _refused(data).message


def test_a_truncated_png_is_refused() -> None:
    whole = image_bytes(Image.new("RGB", (64, 64), "navy"))
    assert "bukan berkas gambar" in _refused(whole[: len(whole) // 2]).message


def test_an_empty_upload_is_refused() -> None:
    assert "kosong" in _refused(b"").message


def test_other_image_formats_are_refused_by_name() -> None:
    gif = image_bytes(Image.new("P", (10, 10)), "GIF")
    assert "PNG atau JPEG (bukan GIF)" in _refused(gif).message


def test_an_oversized_file_is_refused() -> None:
    assert "terlalu besar" in _refused(b"\x00" * (3 * 1024 * 1024)).message


def test_a_png_logo_keeps_its_transparency() -> None:
    prepared = prepare_image(sample_logo_png(), field="logo", label="Logo")
    with Image.open(io.BytesIO(prepared.png)) as img:
        assert img.format == "PNG"
        assert img.mode == "RGBA"
        assert img.getpixel((0, 0))[3] == 0  # corner outside the emblem stays transparent


def test_a_jpeg_signature_is_accepted_and_shrunk_to_print_size() -> None:
    photo = image_bytes(Image.new("RGB", (2400, 800), "white"), "JPEG")
    prepared = prepare_image(photo, field="signature", label="Tanda tangan")
    assert (prepared.width, prepared.height) == (MAX_SIDE_PX, MAX_SIDE_PX // 3)
    assert prepared.aspect == pytest.approx(3.0)
    with Image.open(io.BytesIO(prepared.png)) as img:
        assert img.mode == "RGB"


def test_preparing_the_same_upload_twice_gives_the_same_bytes() -> None:
    first = prepare_image(sample_logo_png(), field="logo", label="Logo")
    assert prepare_image(sample_logo_png(), field="logo", label="Logo") == first


def test_an_image_with_too_many_pixels_is_refused_even_when_the_file_is_small() -> None:
    huge = image_bytes(Image.new("1", (7000, 6000)))
    assert len(huge) < 1024 * 1024
    assert "piksel terlalu besar" in _refused(huge).message
