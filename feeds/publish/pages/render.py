"""The templates: Jinja2, shipped in the package, each replaceable from ``pages.templates``.

Every value reaches a template escaped (autoescape), but for the article's HTML, which is
the cleaned and sanitized HTML the feeds carry, and the marks this tool writes itself.
A page runs no script: its Content-Security-Policy (a ``<meta>``) allows images and its own
inline stylesheet (by hash), nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from feeds.errors import BuildError
from feeds.publish.pages.paths import BUNDLED_TEMPLATES, templates_digest

BUNDLED = BUNDLED_TEMPLATES
# No script, no frame, no form, no plugin: a page shows text, images and its own style.
CSP = (
    "default-src 'none'; img-src http: https: data:; style-src '{style}'; "
    "base-uri 'none'; form-action 'none'"
)


class Templates:
    """The site's templates: those of ``folder`` first, the bundled ones for the rest."""

    def __init__(self, folder: Path | None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if folder is not None:
            loaders.append(jinja2.FileSystemLoader(folder))
        loaders.append(jinja2.FileSystemLoader(BUNDLED))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(["html", "xsl", "xml"], default=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.digest = templates_digest(folder)
        self.style = self.render("style.css", {}).strip().replace("</", "<\\/")
        hashed = base64.b64encode(hashlib.sha256(self.style.encode()).digest()).decode()
        self.csp = CSP.format(style=f"sha256-{hashed}")

    def render(self, name: str, values: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(values)
        except jinja2.TemplateError as e:
            where = f" (line {e.lineno})" if isinstance(e, jinja2.TemplateSyntaxError) else ""
            raise BuildError(f"template {name}{where}: {e}") from None

    def page(self, name: str, values: Mapping[str, Any]) -> bytes:
        """A page's bytes: the template ``name`` with the values every page has."""
        common = {"style": Markup(self.style), "csp": self.csp}
        return self.render(name, {**common, **values}).encode("utf-8")


# An <img> tag as the sanitizer writes it (attribute values quoted).
_IMG = re.compile(r"<img(?=[\s/>])[^>]*>", re.IGNORECASE)


def no_referrer_images(content: str) -> str:
    """Every ``<img>`` of sanitized HTML loaded without a Referer (hotlink-protected hosts
    such as sinaimg refuse a request that names another site), and lazily.

    The sanitizer and the inlined thumbnail give every image the policy already; this
    holds for a page whatever changes there. The first of two equal attributes wins in an
    HTML parser: the policy goes right after the tag name.
    """

    def fixed(match: re.Match[str]) -> str:
        tag = match.group(0)
        lazy = "" if "loading=" in tag else ' loading="lazy"'
        policy = "" if 'referrerpolicy="no-referrer"' in tag else ' referrerpolicy="no-referrer"'
        return f"<img{policy}{lazy}{tag[4:]}"

    return _IMG.sub(fixed, content)
