"""The font of the PDF exports: a TrueType CJK font from an installed Debian
package, embedded, so every glyph (Chinese, "·", "—") prints; reportlab's built-in
CID font STSong-Light (not embedded, no "·") only when none is installed.

fonts-noto-cjk is not on the list: its outlines are CFF (PostScript), which
reportlab cannot embed. The Dockerfile and CI install fonts-wqy-microhei."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

# (file, font index in a .ttc), first found wins.
TRUETYPE_CJK = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
]
CID_FALLBACK = "STSong-Light"
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


@lru_cache(maxsize=1)
def pdf_font(candidates: tuple[tuple[str, int], ...] = tuple(TRUETYPE_CJK)) -> str:
    """Register and return the name of the font to use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont, TTFError

    for path, index in candidates:
        if Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont("CRM-CJK", path, subfontIndex=index))
            except TTFError:
                continue
            return "CRM-CJK"
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK


def pdf_safe(text: str, font: str) -> str:
    """The CID fallback has no middle dot: the katakana middle dot looks the same."""
    return text.replace("·", "・") if font == CID_FALLBACK else text


def wrap_mode(text: str) -> str | None:
    """Chinese text may break between any two characters; other text only between
    words, so "Deviation" or "669,114.63" never splits."""
    return "CJK" if _CJK.search(text or "") else None
