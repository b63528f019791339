"""MAX text formats: ``format: "html" | "markdown"`` become plain text plus ``markup``.

MAX answers a formatted message with its plain text in ``body.text`` and the styles as
``body.markup`` elements ``{"type", "from", "length"}`` (UTF-16 offsets, like Telegram's
entities), so a test reads the words a person sees.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sandbox.jsontypes import JsonDict
from sandbox.max.errors import bad_request

FORMATS = ("html", "markdown")
HTML_TAGS = {
    "b": "strong",
    "strong": "strong",
    "i": "emphasized",
    "em": "emphasized",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "del": "strikethrough",
    "code": "monospaced",
    "pre": "monospaced",
    "a": "link",
    "mark": "highlighted",
    "blockquote": "quote",
    "h1": "heading",
}
MARKDOWN = re.compile(
    r"\*\*(?P<strong>.+?)\*\*|__(?P<underline>.+?)__|~~(?P<strikethrough>.+?)~~"
    r"|`(?P<monospaced>[^`]+)`|\[(?P<link>[^\]]+)\]\((?P<url>[^)\s]+)\)"
    r"|(?<![\w*])[*_](?P<emphasized>[^*_\n]+?)[*_](?![\w*])",
    re.DOTALL,
)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.open: list[tuple[str, int, str | None]] = []
        self.markup: list[JsonDict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.text += "\n"
        elif tag in HTML_TAGS:
            self.open.append((tag, utf16_len(self.text), dict(attrs).get("href")))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            name, start, href = self.open[i]
            if name == tag:
                del self.open[i]
                element: JsonDict = {
                    "type": HTML_TAGS[tag],
                    "from": start,
                    "length": utf16_len(self.text) - start,
                }
                if tag == "a":
                    element["url"] = href or ""
                if element["length"] > 0:
                    self.markup.append(element)
                return

    def handle_data(self, data: str) -> None:
        self.text += data


def _markdown(source: str) -> tuple[str, list[JsonDict]]:
    text, markup, pos = "", [], 0
    for match in MARKDOWN.finditer(source):
        text += source[pos : match.start()]
        kind = next(k for k, v in match.groupdict().items() if v is not None and k != "url")
        inner = match.group(kind)
        element: JsonDict = {"type": kind, "from": utf16_len(text), "length": utf16_len(inner)}
        if kind == "link":
            element["url"] = match.group("url")
        markup.append(element)
        text += inner
        pos = match.end()
    return text + source[pos:], sorted(markup, key=lambda e: int(e["from"]))


def parse(text: str, fmt: str | None) -> tuple[str, list[JsonDict]]:
    """Plain text and markup of ``text`` sent with ``format`` (None: as is)."""
    if fmt is None:
        return text, []
    if fmt not in FORMATS:
        raise bad_request(f"Invalid format: {fmt!r}, expected one of {list(FORMATS)}")
    if fmt == "markdown":
        return _markdown(text)
    parser = _Html()
    parser.feed(text)
    parser.close()
    return parser.text, sorted(parser.markup, key=lambda e: int(e["from"]))
