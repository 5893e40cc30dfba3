import pytest
from jinja2 import ChoiceLoader, DictLoader

from app.outbox import rendering
from app.outbox.rendering import RenderError, render_email


@pytest.fixture
def extra_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        rendering.env,
        "loader",
        ChoiceLoader(
            [
                DictLoader(
                    {
                        "email/tanpa_subjek.txt": "Isi saja",
                        "email/subjek_kosong.txt": "{% block subject %} {% endblock %}Isi",
                        "email/rusak.txt": "{% block subject %}x{% endblock %}{% if %}",
                    }
                ),
                rendering.env.loader,  # type: ignore[list-item]
            ]
        ),
    )


def test_every_email_template_gets_the_base_url_and_a_footer() -> None:
    out = render_email(
        "broadcast", {"subject": "Hal", "content": "Isi pesan.", "commission": "KI Jatim"}
    )
    assert out.subject == "Hal"
    assert out.body.startswith("Isi pesan.\n\nSekretariat KI Jatim")
    assert "(http://testserver)" in out.body and out.body.endswith("\n")


@pytest.mark.usefixtures("extra_templates")
@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("tidak_ada", "tidak dapat dipakai"),
        ("tanpa_subjek", "tidak memiliki blok subject"),
        ("subjek_kosong", "subjek kosong"),
        ("rusak", "tidak dapat dipakai"),
    ],
)
def test_a_broken_template_is_a_clear_render_error(template: str, words: str) -> None:
    with pytest.raises(RenderError) as err:
        render_email(template, {})
    assert words in err.value.message and template in err.value.message
