from __future__ import annotations

import re
from pathlib import Path

from livchat.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _documented() -> dict[str, str]:
    entries = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            entries[name] = value
    return entries


def _read_directly() -> set[str]:
    """Variables the code reads from the environment itself (the sandbox's WuzAPI-named knobs)."""
    pattern = re.compile(r"""(?:environ\.get|env\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    return {name for path in (ROOT / "livchat").rglob("*.py") for name in pattern.findall(path.read_text())}


def test_env_example_documents_every_setting() -> None:
    names = {(field.alias or name).upper() for name, field in Settings.model_fields.items()}
    assert names | _read_directly() == set(_documented())


def test_env_example_lines_each_have_an_explanation() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            # The explanation is a comment above the variable, within its block.
            block = []
            for above in reversed(lines[:index]):
                if not above.strip():
                    break
                block.append(above)
            assert any(b.startswith("#") for b in block), line


def test_embedded_defaults_need_nothing_outside(tmp_path: Path) -> None:
    settings = Settings(LIVCHAT_DATA_DIR=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'livchat.db'}"
    assert settings.sandbox_enabled
    assert not settings.clerk_enabled


def test_a_dotenv_file_configures_and_the_environment_wins(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from livchat.core.settings import get_settings, reset_settings_cache

    env_file = tmp_path / ".env"
    env_file.write_text("PUBLIC_URL=https://chat.example.com\nLIVCHAT_LOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("LIVCHAT_ENV_FILE", str(env_file))
    monkeypatch.setenv("LIVCHAT_LOG_LEVEL", "WARNING")
    reset_settings_cache()
    try:
        settings = get_settings()
        assert settings.public_url == "https://chat.example.com"
        assert settings.log_level == "WARNING"
    finally:
        monkeypatch.undo()
        reset_settings_cache()
