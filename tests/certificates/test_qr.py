import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from app.certificates.qr import QR_ERROR_LEVEL, qr_drawing, qr_drawings, qr_matrix
from app.certificates.qrmask import best_mask_matrix
from app.certificates.rules import verification_url
from app.certificates.samples import SAMPLE_BASE_URL, sample_serial


def _segno(content: str, error: str = QR_ERROR_LEVEL) -> tuple[int, tuple[bytes, ...]]:
    code = segno.make_qr(content, error=error)
    return code.mask, tuple(bytes(row) for row in code.matrix)


def _fast(content: str, error: str = QR_ERROR_LEVEL) -> tuple[int, tuple[bytes, ...]]:
    mask, matrix = best_mask_matrix(content, error)
    return mask, tuple(bytes(row) for row in matrix)


def test_the_fast_mask_choice_equals_segnos_for_verification_urls() -> None:
    for i in range(400):
        url = verification_url(SAMPLE_BASE_URL, sample_serial(i))
        assert _fast(url) == _segno(url), url


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=300), st.sampled_from(["l", "m", "q", "h"]))
def test_the_fast_mask_choice_equals_segnos_for_any_text(text: str, error: str) -> None:
    # up to version 15 or so: covers alignment patterns and version information blocks
    assert _fast(text, error) == _segno(text, error)


def test_every_mask_gets_chosen_for_some_address() -> None:
    chosen = {best_mask_matrix(f"https://x.example/piagam/{i}", "m")[0] for i in range(300)}
    assert chosen == set(range(8))


def test_the_drawing_covers_exactly_the_dark_modules() -> None:
    url = verification_url(SAMPLE_BASE_URL, sample_serial(3))
    drawing = qr_drawing(url)
    size = drawing.size
    painted = [[0] * size for _ in range(size)]
    numbers = [int(v) for v in drawing.ops.replace("re", " ").split()]
    for x, y, w, h in zip(*[iter(numbers)] * 4, strict=True):
        for row in range(size - y - h, size - y):
            for col in range(x, x + w):
                assert painted[row][col] == 0  # rectangles never overlap
                painted[row][col] = 1
    assert [bytes(r) for r in painted] == [bytes(r) for r in qr_matrix(url)]
    assert drawing.ops.count(" re") < sum(map(sum, painted)) / 2  # runs were merged


def test_encoding_in_worker_processes_gives_the_same_drawings() -> None:
    urls = [verification_url(SAMPLE_BASE_URL, sample_serial(i)) for i in range(140)]
    assert list(qr_drawings(urls, workers=2)) == list(qr_drawings(urls, workers=1))
