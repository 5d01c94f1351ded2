"""A simple HTML mock of a Discord message, built from the message payload the bot sent.

Enough of Discord's dark theme to show what a member sees: the author line, the content's
bold text and mentions, embeds (colour bar, title, description, image, footer) and the rows
of buttons in their styles. Attachment URLs are inlined as data URLs, so the page renders
offline. Used by tests/cogs/test_screenshots.py.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from typing import Any

_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "secondary"}
_CSS = """
body { margin: 0; background: #313338; font-family: "Noto Sans", "DejaVu Sans", sans-serif;
       color: #dbdee1; font-size: 15px; line-height: 1.375; }
#message { display: flex; gap: 16px; padding: 10px 16px 12px; width: 600px; }
.avatar { width: 40px; height: 40px; border-radius: 50%; background: #5865f2; color: #fff;
          flex: none; display: flex; align-items: center; justify-content: center;
          font-weight: 700; font-size: 14px; }
.body { min-width: 0; flex: 1; }
.head { display: flex; align-items: baseline; gap: 6px; }
.name { color: #f2f3f5; font-weight: 600; }
.tag { background: #5865f2; color: #fff; font-size: 10px; font-weight: 600; padding: 1px 4px;
       border-radius: 3px; }
.time { color: #949ba4; font-size: 12px; }
.content { white-space: pre-wrap; overflow-wrap: anywhere; }
.mention { background: rgba(88,101,242,.3); color: #c9cdfb; border-radius: 3px; padding: 0 2px; }
.embed { margin-top: 6px; max-width: 432px; background: #2b2d31; border-left: 4px solid;
         border-radius: 4px; padding: 8px 16px 12px 12px; }
.embed .title { color: #f2f3f5; font-weight: 600; margin-top: 4px; }
.embed .description { font-size: 14px; white-space: pre-wrap; margin-top: 6px; }
.embed img { display: block; max-width: 400px; max-height: 300px; border-radius: 4px;
             margin-top: 12px; }
.embed .footer { color: #b5bac1; font-size: 12px; margin-top: 8px; }
a { color: #00a8fc; text-decoration: none; }
.rows { margin-top: 8px; }
.row { display: flex; gap: 8px; margin-top: 8px; flex-wrap: wrap; }
.button { height: 32px; min-width: 60px; padding: 2px 16px; border-radius: 3px; color: #fff;
          display: flex; align-items: center; justify-content: center; gap: 4px;
          font-size: 14px; font-weight: 500; box-sizing: border-box; }
.primary { background: #5865f2; } .secondary { background: #4e5058; }
.success { background: #248046; } .danger { background: #da373c; }
.ephemeral { color: #949ba4; font-size: 12px; margin-top: 4px; }
"""


def message_html(
    message: Mapping[str, Any], files: Mapping[str, bytes], *, author: str = "mjbot"
) -> str:
    """A standalone page showing one message (`files`: attachment URL -> its bytes)."""
    embeds = "".join(_embed(embed, files) for embed in message.get("embeds") or [])
    rows = "".join(_row(row) for row in message.get("components") or [])
    hidden = (
        '<div class="ephemeral">Only you can see this</div>' if message.get("flags", 0) & 64 else ""
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><style>{_CSS}</style></head>'
        f'<body><div id="message"><div class="avatar">MJ</div><div class="body">'
        f'<div class="head"><span class="name">{html.escape(author)}</span>'
        f'<span class="tag">BOT</span><span class="time">Today at 12:00</span></div>'
        f'<div class="content">{_markdown(str(message.get("content") or ""))}</div>'
        f'{embeds}<div class="rows">{rows}</div>{hidden}</div></div></body></html>'
    )


def _embed(embed: Mapping[str, Any], files: Mapping[str, bytes]) -> str:
    colour = f"#{int(embed.get('color') or 0x1E1F22):06x}"
    parts = []
    if embed.get("title"):
        parts.append(f'<div class="title">{html.escape(embed["title"])}</div>')
    if embed.get("description"):
        parts.append(f'<div class="description">{_markdown(embed["description"])}</div>')
    image = (embed.get("image") or {}).get("url")
    if image:
        parts.append(f'<img src="{_source(image, files)}" alt="">')
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        parts.append(f'<div class="footer">{html.escape(footer)}</div>')
    return f'<div class="embed" style="border-color: {colour}">{"".join(parts)}</div>'


def _row(row: Mapping[str, Any]) -> str:
    buttons = []
    for button in row.get("components") or []:
        style = _STYLES.get(int(button.get("style", 2)), "secondary")
        emoji = html.escape((button.get("emoji") or {}).get("name") or "")
        label = html.escape(button.get("label") or "")
        buttons.append(f'<div class="button {style}">{emoji}{label}</div>')
    return f'<div class="row">{"".join(buttons)}</div>'


def _source(url: str, files: Mapping[str, bytes]) -> str:
    data = files.get(url)
    if data is None:
        return html.escape(url)
    kind = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def _markdown(text: str) -> str:
    """Discord's markdown, as far as the bot uses it: bold, links, mentions, escapes."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*(?!\*)", r"<b>\1</b>", out, flags=re.S)
    out = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', out)
    out = re.sub(r"&lt;@!?\d+&gt;", '<span class="mention">@member</span>', out)
    return re.sub(r"\\([*_`~|\\])", r"\1", out)
