from __future__ import annotations

import re
from pathlib import Path

from livchat.i18n import CATALOGUES, EN, PT_BR, normalize_language, translate

SOURCE = Path(__file__).resolve().parents[1] / "livchat"


def test_catalogues_have_the_same_keys_and_no_blanks() -> None:
    assert set(EN) == set(PT_BR)
    for language, catalogue in CATALOGUES.items():
        blank = [k for k, v in catalogue.items() if not v.strip()]
        assert not blank, f"{language}: blank strings {blank}"


def test_portuguese_is_actually_translated() -> None:
    same = [k for k in EN if EN[k] == PT_BR[k] and not k.startswith("app.name")]
    # A few words are the same in both languages; most must differ.
    assert len(same) < len(EN) * 0.1, same


def test_placeholders_match_between_languages() -> None:
    field = re.compile(r"\{(\w+)\}")
    for key, text in EN.items():
        assert set(field.findall(text)) == set(field.findall(PT_BR[key])), key


def test_every_literal_key_used_in_the_code_exists() -> None:
    used: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text()))
    assert used, "no t(...) calls found"
    assert not used - set(EN), sorted(used - set(EN))


def test_browser_languages_map_to_catalogues() -> None:
    assert normalize_language("pt-BR") == "pt-BR"
    assert normalize_language("pt") == "pt-BR"
    assert normalize_language("pt-PT") == "pt-BR"
    assert normalize_language("en-US") == "en"
    assert normalize_language("de") == "en"
    assert normalize_language("") == "en"
    assert normalize_language("de-DE,pt-BR,en") == "pt-BR"  # navigator.languages, most wanted first
    assert normalize_language("en-GB, pt") == "en"
    assert normalize_language("fr,de") == "en"


def test_translate_falls_back_to_english_then_key() -> None:
    assert translate("nav.sign_in", "pt-BR") == "Entrar"
    assert translate("nav.sign_in", "xx") == "Sign in"
    assert translate("no.such.key", "pt-BR") == "no.such.key"
