"""E-mail text from the Jinja templates in `templates/email/` (plain text, strict variables).

A template defines `{% block subject %}` and `{% block body %}`; it usually extends
`email/_base.txt`, which adds the footer. Every template also gets `base_url` and `app_name`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, UndefinedError

from app.config import PROJECT_ROOT, get_settings
from app.outbox.rules import single_line

env = Environment(
    loader=FileSystemLoader(str(PROJECT_ROOT / "templates")),
    undefined=StrictUndefined,
    autoescape=False,  # noqa: S701 (plain-text e-mail, never HTML)
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


class RenderError(Exception):
    """A template could not be rendered; `message` says why, in Indonesian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def render_email(template: str, context: dict[str, Any]) -> Rendered:
    """Render `templates/email/<template>.txt`; an unknown variable is an error, not a blank."""
    ctx = {"base_url": get_settings().base_url.rstrip("/"), "app_name": "Monev KIP", **context}
    try:
        tmpl = env.get_template(f"email/{template}.txt")
        if "subject" not in tmpl.blocks:
            raise RenderError(f"Templat email {template!r} tidak memiliki blok subject.")
        subject = "".join(tmpl.blocks["subject"](tmpl.new_context(ctx)))
        body = tmpl.render(ctx)
    except UndefinedError as exc:
        raise RenderError(
            f"Templat email {template!r} memakai variabel yang tidak tersedia: {exc.message}."
        ) from exc
    except TemplateError as exc:
        raise RenderError(f"Templat email {template!r} tidak dapat dipakai: {exc}.") from exc
    subject = single_line(subject)
    if not subject:
        raise RenderError(f"Templat email {template!r} menghasilkan subjek kosong.")
    return Rendered(subject=subject, body=body.strip() + "\n")
