"""English and Brazilian Portuguese catalogues. Keys are flat, dotted strings; both catalogues
must hold exactly the same keys (tests/test_i18n.py enforces it).

`en.py`/`pt_br.py` hold the shared strings; each module in `domains/` adds one domain's strings.
"""

from __future__ import annotations

import importlib
import pkgutil

from livchat.i18n import domains
from livchat.i18n.en import EN as _CORE_EN
from livchat.i18n.pt_br import PT_BR as _CORE_PT_BR


def _merge() -> tuple[dict[str, str], dict[str, str]]:
    en, pt = dict(_CORE_EN), dict(_CORE_PT_BR)
    for info in sorted(pkgutil.iter_modules(domains.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{domains.__name__}.{info.name}")
        for target, source, label in ((en, module.EN, "EN"), (pt, module.PT_BR, "PT_BR")):
            clash = set(target) & set(source)
            if clash:
                raise RuntimeError(f"i18n keys defined twice ({info.name}.{label}): {sorted(clash)}")
            target.update(source)
    return en, pt


EN, PT_BR = _merge()
DEFAULT_LANGUAGE = "en"
CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "pt-BR": PT_BR}
LANGUAGES: dict[str, str] = {"en": "English", "pt-BR": "Português"}


def normalize_language(value: str | None) -> str:
    """Map a browser tag ("pt", "pt-PT", "en-US", ...) or a preference list ("de,pt-BR,en") to a
    catalogue we have: the first preference we can serve wins."""
    for tag in (value or "").lower().split(","):
        tag = tag.strip()
        if tag.startswith("pt"):
            return "pt-BR"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    catalogue = CATALOGUES.get(language, EN)
    text = catalogue.get(key) or EN.get(key) or key
    return text.format(**params) if params else text
