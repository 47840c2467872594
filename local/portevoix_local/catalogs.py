"""The translation catalogs: ``.po`` (edited) compiled to ``.mo`` (read at run time).

``python -m portevoix_local.catalogs`` (``make catalogs``) compiles every
``layers/portevoix/portevoix/locales/<lang>/LC_MESSAGES/portevoix.po``; a test
fails when a ``.mo`` is older than its ``.po`` says. A new language is one
more folder there: its ``.po`` (copied from ``en``, translated) and this command.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

LOCALES = Path(__file__).resolve().parents[2] / "layers" / "portevoix" / "portevoix" / "locales"


def compiled(po: Path) -> bytes:
    """The ``.mo`` bytes of one ``.po`` (Babel's reader and writer; fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parents[1].name, domain="portevoix")
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def messages(mo: bytes) -> dict:
    """What a ``.mo`` says, its header without the line naming the Babel version that wrote it."""
    import gettext

    table = dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)
    header = table.get("", "").splitlines()
    table[""] = [line for line in header if not line.startswith("Generated-By:")]
    return table


def catalogs(root: Path = LOCALES) -> list[Path]:
    return sorted(root.glob("*/LC_MESSAGES/portevoix.po"))


def main() -> int:
    for po in catalogs():
        po.with_suffix(".mo").write_bytes(compiled(po))
        print(f"compiled {po.relative_to(LOCALES.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
