"""The self-contained HTML page every report uses: inline CSS, no scripts, no network."""

from __future__ import annotations

import html

from qualityflow.i18n import current_locale

__all__ = ["page"]

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem;
       color: #222; line-height: 1.4; padding: 0 1rem; }
h1 { border-bottom: 3px solid #4a78b5; padding-bottom: .3rem; }
h2 { margin-top: 2rem; color: #24456f; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #eef3fa; }
.meta { color: #555; }
.missing { color: #a15c00; font-style: italic; }
ol.timeline { list-style: none; padding-left: 0; border-left: 3px solid #4a78b5;
              margin-left: .5rem; }
ol.timeline li { position: relative; padding: .2rem 0 .6rem 1.2rem; }
ol.timeline li::before { content: ""; position: absolute; left: -.5rem; top: .5rem;
                         width: .7rem; height: .7rem; border-radius: 50%;
                         background: #4a78b5; }
ol.timeline .when { font-weight: bold; }
ol.timeline .elapsed { color: #666; font-size: .9em; }
figure { margin: 1rem 0; overflow-x: auto; }
figcaption { color: #555; font-size: .9em; }
.thumbnails { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.thumb { margin: 0; max-width: 12rem; }
figure.thumb img { max-width: 12rem; max-height: 12rem; border: 1px solid #ccc; }
"""


def page(title: str, body: str) -> str:
    """Wrap ``body`` (HTML) in a complete page titled ``title`` (plain text).

    The page's ``lang`` is the active locale's (``en``, ``zh-CN``).
    """
    lang = current_locale().replace("_", "-")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )
