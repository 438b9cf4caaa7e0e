"""Compiles every zh-Hans catalogue (``*/locale/*/LC_MESSAGES/django.po``) into
its ``.mo`` when the ``.mo`` is missing or older. The ``.mo`` files are build
output, not kept in git (binary files cannot be merged); polib does the work so
no gettext tools are needed on the machine. Run by bin/dev, bin/test and the
Docker build."""
from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", "var"}


def main() -> int:
    compiled = 0
    for po_path in sorted(ROOT.glob("**/locale/*/LC_MESSAGES/*.po")):
        if SKIP.intersection(po_path.relative_to(ROOT).parts):
            continue
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path))
        catalogue.save_as_mofile(str(mo_path))
        compiled += 1
    if compiled and "-q" not in sys.argv:
        print(f"compiled {compiled} translation catalogue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
