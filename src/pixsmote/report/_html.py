"""Render the report blocks as one self-contained HTML file.

Self-contained means the file can be mailed or opened offline: images are
inlined as base64 ``data:`` URIs, the stylesheet is inline, and there is no
script and no reference to anything on the network.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from ._document import Block, Code, Gallery, Heading, Image, Paragraph, Table

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
       max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222;
       line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .3em; }
h2 { margin-top: 2em; border-bottom: 1px solid #eee; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.95em; }
th, td { border: 1px solid #ccc; padding: .3em .7em; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .9em; color: #555; }
.gallery { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.gallery figure { flex: 1 1 360px; max-width: 100%; }
"""


def render_html(title: str, blocks: Sequence[Block]) -> str:
    """The whole HTML page; every piece of text goes through ``html.escape``."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
    ]
    parts += [_block(b) for b in blocks]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 2), 6)
        return f"<h{level}>{escape(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Code):
        return f"<pre><code>{escape(block.text)}</code></pre>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Image):
        return _figure(block)
    if isinstance(block, Gallery):
        inner = "\n".join(_figure(img) for img in block.images)
        return f'<div class="gallery">\n{inner}\n</div>'
    raise TypeError(f"unknown report block {block!r}")  # an internal bug


def _table(table: Table) -> str:
    def cls(j: int) -> str:
        return ' class="num"' if j < len(table.right) and table.right[j] else ""

    head = "".join(f"<th{cls(j)}>{escape(h)}</th>" for j, h in enumerate(table.header))
    rows = []
    for i, row in enumerate(table.rows):
        cells = []
        for j, cell in enumerate(row):
            text = escape(cell)
            if (i, j) in table.bold:
                text = f"<strong>{text}</strong>"
            cells.append(f"<td{cls(j)}>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = "\n".join(rows)
    return (
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
    )


def _figure(image: Image) -> str:
    data = base64.b64encode(image.png).decode("ascii")
    caption = escape(image.caption)
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )
