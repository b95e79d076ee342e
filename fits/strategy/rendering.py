"""Markdown for the strategy's sections, rendered safely: escape first, then a small subset of Markdown.

The project has no Markdown library (knowledge articles are plain text with `linebreaks`), and a strategy needs
little: paragraphs, headings, bulleted and numbered lists, **bold**, *italic* and links. Everything the writer typed
is HTML-escaped before any markup is added, and links are kept only for http(s) and mailto addresses, so no text
can inject markup or script (tests/strategy/test_rendering.py).
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])")
_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^\s)\"'<>]+)\)")
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")


def _inline(text: str) -> str:
    """Escape one line, then add bold, italic and links (whose text and address are already escaped)."""
    html = escape(text)
    html = _LINK.sub(lambda m: f'<a href="{m.group(2)}" rel="noopener noreferrer">{m.group(1)}</a>', html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _ITALIC.sub(r"<em>\1</em>", html)


def render_markdown(source: str) -> SafeString:
    """The section's text as HTML. Headings start at h4 (h4-h6), so they sit under the section's own heading."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def close_paragraph() -> None:
        if paragraph:
            out.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal list_tag
        if items:
            out.append(f"<{list_tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for raw in (source or "").replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            close_paragraph()
            close_list()
            continue
        if heading := _HEADING.match(line):
            close_paragraph()
            close_list()
            level = min(3 + len(heading.group(1)), 6)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            continue
        for pattern, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
            if item := pattern.match(line):
                close_paragraph()
                if list_tag != tag:
                    close_list()
                    list_tag = tag
                items.append(_inline(item.group(1)))
                break
        else:
            if items and raw[:1].isspace():  # a continuation line of the last list item
                items[-1] += " " + _inline(line.strip())
                continue
            close_list()
            paragraph.append(line.strip())
    close_paragraph()
    close_list()
    return mark_safe("\n".join(out))  # noqa: S308  (built only from escaped text and our own tags)
