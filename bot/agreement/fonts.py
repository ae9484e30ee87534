"""Which CJK font the agreement embeds, and what happens to characters no font has.

The package ships `fonts/wqy-microhei-gb2312.ttf`: WenQuanYi Micro Hei (Apache-2.0, see
`fonts/LICENSE-wqy-microhei.txt`) cut down to GB2312 (6,763 hanzi), ASCII, Latin-1, CJK
punctuation and a few symbols by `scripts/subset_font.py`. Nothing is fetched at run time.

A deployment may configure a fuller font (`AGREEMENT_FONT`, e.g. Noto Sans CJK's .ttc or
the full wqy-microhei.ttc): it is then the main font and the shipped subset its fallback.
A configured path that does not exist or cannot be read is logged and ignored.

A character that none of the fonts has (a rare name character outside GB2312 when only
the shipped font is used) is printed as 〓 (U+3013, the typesetters' "missing glyph"
mark), never as an invisible or empty box; the parties correct it by hand on the printed
form, and the database keeps the exact text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

log = logging.getLogger(__name__)

SHIPPED_FONT = Path(__file__).resolve().parent / "fonts" / "wqy-microhei-gb2312.ttf"
MISSING_MARK = "\u3013"  # 〓


@dataclass(frozen=True)
class FontChoice:
    """The fonts to embed, main first, and every code point they cover together."""

    paths: tuple[Path, ...]
    covered: frozenset[int]

    def printable(self, text: str) -> str:
        """The text with every character no font has replaced by 〓 (whitespace kept)."""
        return "".join(c if ord(c) in self.covered or c in "\n\t" else MISSING_MARK for c in text)

    def missing(self, text: str) -> set[str]:
        """The characters of a text that no font has."""
        return {c for c in text if ord(c) not in self.covered and c not in "\n\t"}


@lru_cache(maxsize=8)
def _cmap(path: Path, mtime: float) -> frozenset[int]:  # noqa: ARG001  (mtime: reload a replaced file)
    font = TTFont(str(path), lazy=True, fontNumber=0)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def cmap_of(path: Path) -> frozenset[int]:
    """The code points a font file (TTF, OTF, or the first face of a TTC) maps."""
    return _cmap(path, path.stat().st_mtime)


def choose(configured: Path | None = None) -> FontChoice:
    """The configured font (if usable) then the shipped subset."""
    paths: list[Path] = []
    if configured is not None:
        try:
            cmap_of(configured)
        except Exception as exc:  # missing, unreadable, not a font: the shipped one still works
            log.warning(
                "agreement font %s not usable (%s); using the shipped font", configured, exc
            )
        else:
            paths.append(configured)
    if SHIPPED_FONT not in paths:
        paths.append(SHIPPED_FONT)
    covered: frozenset[int] = frozenset().union(*(cmap_of(p) for p in paths))
    return FontChoice(paths=tuple(paths), covered=covered)
