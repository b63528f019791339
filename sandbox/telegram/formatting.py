"""Entity parsing (parse_mode HTML / MarkdownV2 / Markdown) the way Telegram does it.

Telegram measures message length *after* stripping markup, reports entity offsets in
UTF-16 code units and rejects malformed markup with "can't parse entities: ...".  The bot
under test must see the same failures here as in production, so this module mirrors
those rules closely enough for realistic texts.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError, bad_request

Entity = dict[str, Any]

_HTML_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_HTML_TAGS = {*_HTML_SIMPLE_TAGS, "a", "span", "tg-emoji", "blockquote"}
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR = re.compile(r"""\s*([A-Za-z-]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(source: str, index: int) -> int:
    """UTF-8 byte offset of ``index``; Telegram's error messages count bytes."""
    return len(source[:index].encode("utf-8"))


def parse_error(text: str) -> ApiError:
    """The 400 Telegram answers for malformed markup."""
    return bad_request(f"can't parse entities: {text}")


@dataclass
class _Builder:
    """Accumulates plain text while tracking the UTF-16 position for entity offsets."""

    parts: list[str] = field(default_factory=list)
    pos: int = 0
    entities: list[Entity] = field(default_factory=list)

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.pos - start
        if length <= 0:
            return
        ent: Entity = {"type": kind, "offset": start, "length": length}
        ent.update({k: v for k, v in extra.items() if v is not None})
        self.entities.append(ent)

    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _HtmlOpen:
    name: str
    start: int
    attrs: dict[str, str]


def _html_attrs(raw: str, name: str, source: str, at: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    raw = raw.rstrip("/").rstrip()
    while pos < len(raw):
        match = _ATTR.match(raw, pos)
        if match is None or match.end() == pos:
            raise parse_error(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"at byte offset {_byte_offset(source, at)}"
            )
        value = match.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1]
        attrs[match.group(1).lower()] = html.unescape(value)
        pos = match.end()
    return attrs


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Parse Telegram's HTML subset into plain text plus entities."""
    out = _Builder()
    stack: list[_HtmlOpen] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            end = source.find(";", i + 1, i + 12)
            if end != -1:
                name = source[i + 1 : end]
                decoded: str | None = None
                if name in _NAMED_ENTITIES:
                    decoded = _NAMED_ENTITIES[name]
                elif name.startswith("#"):
                    digits = name[1:]
                    try:
                        code = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits)
                        decoded = chr(code) if 0 < code <= 0x10FFFF else None
                    except ValueError:
                        decoded = None
                if decoded is not None:
                    out.add(decoded)
                    i = end + 1
                    continue
            out.add("&")
            i += 1
            continue
        if ch != "<":
            j = i + 1
            while j < n and source[j] not in "<&":
                j += 1
            out.add(source[i:j])
            i = j
            continue
        close = source.find(">", i + 1)
        if close == -1:
            raise parse_error(f"Unclosed start tag at byte offset {_byte_offset(source, i)}")
        if source.startswith("</", i):
            name = source[i + 2 : close].strip().lower()
            if not stack:
                raise parse_error(f"Unexpected end tag at byte offset {_byte_offset(source, i)}")
            top = stack[-1]
            if name and name != top.name:
                raise parse_error(
                    f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                    f'expected "</{top.name}>", found "</{name}>"'
                )
            stack.pop()
            _close_html(out, top, stack)
            i = close + 1
            continue
        match = _TAG_NAME.match(source, i + 1)
        name = match.group(0).lower() if match else ""
        if name not in _HTML_TAGS:
            raise parse_error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, i)}'
            )
        assert match is not None
        attrs = _html_attrs(source[match.end() : close], name, source, i)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise parse_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, i)}'
            )
        if name == "tg-emoji" and "emoji-id" not in attrs:
            raise parse_error(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                f"{_byte_offset(source, i)}"
            )
        stack.append(_HtmlOpen(name, out.pos, attrs))
        i = close + 1
    if stack:
        raise parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.text(), _sorted(out.entities)


def _close_html(out: _Builder, tag: _HtmlOpen, stack: list[_HtmlOpen]) -> None:
    """Turn a closed HTML tag into its entity."""
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            out.entity("text_mention", tag.start, user={"id": int(user.group(1))})
        elif href:
            out.entity("text_link", tag.start, url=href)
        return
    if tag.name == "span":
        out.entity("spoiler", tag.start)
        return
    if tag.name == "tg-emoji":
        out.entity("custom_emoji", tag.start, custom_emoji_id=tag.attrs["emoji-id"])
        return
    if tag.name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        out.entity(kind, tag.start)
        return
    if tag.name == "code" and stack and stack[-1].name == "pre":
        language = tag.attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].attrs["language"] = language[len("language-") :]
        return  # <pre><code> is one pre entity
    if tag.name == "pre":
        out.entity("pre", tag.start, language=tag.attrs.get("language"))
        return
    out.entity(_HTML_SIMPLE_TAGS[tag.name], tag.start)


@dataclass
class _MdOpen:
    kind: str
    token: str
    start: int
    at: int


_MDV2_TOKENS: list[tuple[str, str]] = [
    ("__", "underline"),
    ("||", "spoiler"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
]


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2, including the infamous "character is reserved" errors."""
    out = _Builder()
    stack: list[_MdOpen] = []
    i = 0
    n = len(source)
    line_start = True
    quote_start: int | None = None
    while i < n:
        ch = source[i]
        if ch == "\n":
            if quote_start is not None and not source.startswith(">", i + 1):
                out.entity("blockquote", quote_start)
                quote_start = None
            out.add(ch)
            i += 1
            line_start = True
            continue
        at_line_start = line_start
        line_start = False
        if ch == "\\" and i + 1 < n and 0 < ord(source[i + 1]) <= 126:
            out.add(source[i + 1])
            i += 2
            continue
        if ch not in _MDV2_RESERVED:
            out.add(ch)
            i += 1
            continue
        if ch == ">" and at_line_start:
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if ch == "`":
            i = _mdv2_code(source, i, out)
            continue
        if ch == "[" or (ch == "!" and source.startswith("![", i)):
            token = "![" if ch == "!" else "["
            stack.append(_MdOpen("link", token, out.pos, i))
            i += len(token)
            continue
        if ch == "]" and stack and stack[-1].kind == "link":
            i = _mdv2_link(source, i, out, stack.pop())
            continue
        for token, kind in _MDV2_TOKENS:
            if source.startswith(token, i):
                open_idx = next(
                    (k for k in range(len(stack) - 1, -1, -1) if stack[k].token == token),
                    None,
                )
                if open_idx is None:
                    stack.append(_MdOpen(kind, token, out.pos, i))
                elif open_idx != len(stack) - 1:
                    top = stack[-1]
                    raise parse_error(
                        f"Can't find end of {_md_name(top.kind)} entity at byte offset "
                        f"{_byte_offset(source, top.at)}"
                    )
                else:
                    opened = stack.pop()
                    out.entity(opened.kind, opened.start)
                i += len(token)
                break
        else:
            raise parse_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        top = stack[-1]
        raise parse_error(
            f"Can't find end of {_md_name(top.kind)} entity at byte offset "
            f"{_byte_offset(source, top.at)}"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.text(), _sorted(out.entities)


def _md_name(kind: str) -> str:
    return {"bold": "Bold", "italic": "Italic", "underline": "Underline"}.get(
        kind, kind.replace("_", " ").title()
    )


def _mdv2_code(source: str, i: int, out: _Builder) -> int:
    """Parse `code` or ```pre``` starting at ``i``; only \\` and \\\\ are escapes inside."""
    pre = source.startswith("```", i)
    token = "```" if pre else "`"
    j = i + len(token)
    language: str | None = None
    if pre:
        newline = source.find("\n", j)
        first_line = source[j:newline] if newline != -1 else ""
        if newline != -1 and first_line and not any(c in first_line for c in " `\\"):
            language = first_line
            j = newline + 1
    start = out.pos
    while True:
        if j >= len(source):
            kind = "Pre" if pre else "Code"
            raise parse_error(
                f"Can't find end of {kind} entity at byte offset {_byte_offset(source, i)}"
            )
        ch = source[j]
        if ch == "\\" and j + 1 < len(source) and source[j + 1] in "`\\":
            out.add(source[j + 1])
            j += 2
            continue
        if source.startswith(token, j):
            break
        out.add(ch)
        j += 1
    if pre:
        out.entity("pre", start, language=language)
    else:
        out.entity("code", start)
    return j + len(token)


def _mdv2_link(source: str, i: int, out: _Builder, opened: _MdOpen) -> int:
    """Parse the ``](url)`` tail of an inline link or custom emoji."""
    if not source.startswith("(", i + 1):
        raise parse_error(
            f"Can't find end of TextUrl entity at byte offset {_byte_offset(source, opened.at)}"
        )
    j = i + 2
    url: list[str] = []
    while True:
        if j >= len(source):
            raise parse_error(
                f"Can't find end of a URL at byte offset {_byte_offset(source, i + 1)}"
            )
        ch = source[j]
        if ch == "\\" and j + 1 < len(source) and source[j + 1] in ")\\":
            url.append(source[j + 1])
            j += 2
            continue
        if ch == ")":
            break
        url.append(ch)
        j += 1
    target = "".join(url)
    if opened.token == "![":
        emoji = re.fullmatch(r"tg://emoji\?id=(\d+)", target)
        if emoji is None:
            raise parse_error("Custom emoji entity must contain a tg://emoji URL")
        out.entity("custom_emoji", opened.start, custom_emoji_id=emoji.group(1))
    else:
        user = re.fullmatch(r"tg://user\?id=(\d+)", target)
        if user:
            out.entity("text_mention", opened.start, user={"id": int(user.group(1))})
        else:
            out.entity("text_link", opened.start, url=target)
    return j + 1


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, `` `code` ``, ``[text](url)``)."""
    out = _Builder()
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.add(ch)
            i += 1
            continue
        if ch == "[":
            close = source.find("]", i + 1)
            if close == -1 or not source.startswith("(", close + 1):
                raise _md_unclosed(source, i)
            end = source.find(")", close + 2)
            if end == -1:
                raise _md_unclosed(source, i)
            start = out.pos
            out.add(source[i + 1 : close])
            out.entity("text_link", start, url=source[close + 2 : end])
            i = end + 1
            continue
        token = "```" if source.startswith("```", i) else ch
        end = source.find(token, i + len(token))
        if end == -1:
            raise _md_unclosed(source, i)
        inner = source[i + len(token) : end]
        language: str | None = None
        if token == "```" and "\n" in inner:
            first, rest = inner.split("\n", 1)
            if first and " " not in first:
                language, inner = first, rest
        start = out.pos
        out.add(inner)
        kind = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}[token]
        out.entity(kind, start, language=language)
        i = end + len(token)
    return out.text(), _sorted(out.entities)


def _md_unclosed(source: str, i: int) -> ApiError:
    return parse_error(
        f"Can't find end of the entity starting at byte offset {_byte_offset(source, i)}"
    )


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse_text(
    text: str, parse_mode: str | None, entities: list[Entity] | None
) -> tuple[str, list[Entity]]:
    """Apply ``parse_mode`` (or explicit ``entities``) and trim like Telegram does."""
    mode = (parse_mode or "").strip().lower()
    if entities:
        plain, found = text, [dict(e) for e in entities]
    elif mode == "html":
        plain, found = parse_html(text)
    elif mode == "markdownv2":
        plain, found = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, found = parse_markdown(text)
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    else:
        plain, found = text, []
    return _strip(plain, found)


def _strip(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace and shift/clip entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text) - utf16_len(text.lstrip())
    total = utf16_len(stripped)
    fixed: list[Entity] = []
    for ent in entities:
        start = max(0, ent["offset"] - lead)
        end = min(total, ent["offset"] + ent["length"] - lead)
        if end > start:
            fixed.append({**ent, "offset": start, "length": end - start})
    return stripped, fixed


def command_entities(text: str) -> list[Entity]:
    """Entities Telegram auto-detects in user messages that matter to bots: /commands."""
    match = re.match(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,64})?", text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]
