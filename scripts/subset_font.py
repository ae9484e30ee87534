"""Make the agreement PDF's shipped CJK font: WenQuanYi Micro Hei cut down to GB2312.

The agreement (bot/agreement/pdf.py) embeds a CJK font so it renders anywhere, and the
font ships inside the package so nothing is fetched at run time and the tests need no
system fonts. This script documents (and repeats) how the shipped file was made:

    apt-get install fonts-wqy-microhei        # Debian 0.2.0-beta-3.1, Apache-2.0 or GPLv3
    pip install fonttools                     # dev-only here (fpdf2 pulls it in anyway)
    python scripts/subset_font.py             # writes bot/agreement/fonts/…

Kept: every character of GB2312 (levels 1 and 2: 6,763 hanzi, plus its symbol rows:
full-width punctuation, Greek, Cyrillic, box drawing …), printable ASCII and Latin-1,
CJK punctuation, full-width forms, and a few symbols the bot prints (¥ · ✓ → — … 〓).
A small list of name characters outside GB2312 that the font has is kept too.
Characters outside the subset are handled at render time (see bot/agreement/fonts.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
COPYRIGHT = Path("/usr/share/doc/fonts-wqy-microhei/copyright")
APACHE = Path("/usr/share/common-licenses/Apache-2.0")
TARGET = ROOT / "bot" / "agreement" / "fonts" / "wqy-microhei-gb2312.ttf"
LICENSE = ROOT / "bot" / "agreement" / "fonts" / "LICENSE-wqy-microhei.txt"

# Frequent in given names but outside GB2312 (kept if the font has them).
NAME_EXTRAS = "堃喆昇玥珺琇镕赟昶晞暻煜燊犇淼鑫垚焱森昊熠祎禕彧珏瑄璟頔婳姝娅妍"
# Symbols the bot prints on the card and in the agreement.
SYMBOLS = "¥·✓√×→←—–…〓□■○●※§№℃‰「」『』【】〔〕〈〉《》“”‘’"


def gb2312_characters() -> set[str]:
    """Every character GB2312 encodes (rows 0xA1–0xF7, cells 0xA1–0xFE)."""
    chars: set[str] = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def wanted() -> set[int]:
    """The code points to keep."""
    points = {ord(c) for c in gb2312_characters()}
    points |= set(range(0x20, 0x7F))  # ASCII
    points |= set(range(0xA0, 0x100))  # Latin-1 (¥ ·  ×)
    points |= set(range(0x3000, 0x3040))  # CJK symbols and punctuation
    points |= set(range(0xFF01, 0xFF5F))  # full-width ASCII
    points |= set(range(0xFFE0, 0xFFE7))  # full-width ¥ ￠ …
    points |= {ord(c) for c in NAME_EXTRAS + SYMBOLS}
    return points


def build(source: Path, target: Path) -> int:
    """Subset font 0 of the collection (the proportional face) into `target`; its size."""
    face = TTCollection(str(source)).fonts[0]
    cmap = face.getBestCmap()
    keep = sorted(p for p in wanted() if p in cmap)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence name records
    options.name_languages = ["*"]
    options.notdef_outline = True  # a visible box for a glyph that is missing anyway
    options.hinting = False  # PDFs are scaled; hints only add bytes
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(face)
    target.parent.mkdir(parents=True, exist_ok=True)
    face.save(str(target))
    return len(keep)


def write_license(target: Path) -> None:
    """The Debian copyright file, the Apache-2.0 text, and what was changed."""
    note = (
        "bot/agreement/fonts/wqy-microhei-gb2312.ttf is a SUBSET of WenQuanYi Micro Hei\n"
        "(wqy-microhei.ttc face 0, Debian package fonts-wqy-microhei 0.2.0-beta-3.1),\n"
        "made with fontTools by scripts/subset_font.py: glyphs outside GB2312, ASCII,\n"
        "Latin-1, CJK punctuation, full-width forms and a few symbols were removed, and\n"
        "hinting was dropped. Nothing else was changed. It is used under the Apache\n"
        "License 2.0 (the font is dual-licensed Apache-2.0 or GPL-3+ with font exception).\n"
        "\n"
        + "=" * 78
        + "\nDebian copyright file (/usr/share/doc/fonts-wqy-microhei/copyright)\n"
        + "=" * 78
        + "\n\n"
    )
    text = note + COPYRIGHT.read_text(encoding="utf-8")
    if APACHE.exists():
        text += "\n" + "=" * 78 + "\nApache License 2.0 (full text)\n" + "=" * 78 + "\n\n"
        text += APACHE.read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    if not args.source.exists():
        sys.stderr.write(f"{args.source} not found: apt-get install fonts-wqy-microhei\n")
        return 1
    kept = build(args.source, args.target)
    if args.target == TARGET:
        write_license(LICENSE)
    size = args.target.stat().st_size
    sys.stdout.write(f"{args.target}: {kept} characters, {size:,} bytes\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
