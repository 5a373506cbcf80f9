"""The embed build itself: deterministic output, sizes printed, and a loader over 2 KB gzipped fails
the build instead of shipping."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from pathlib import Path

EMBED_WIDGET = Path(__file__).resolve().parents[2] / "embed_widget"
NODE = str(Path(sys.executable).parent / "node")


def _build_copy(tmp_path: Path, embed_extra: str = "") -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run build.mjs on a copy of embed_widget/ (sharing its installed node_modules)."""
    copy = tmp_path / "embed_widget"
    shutil.copytree(EMBED_WIDGET / "src", copy / "src")
    shutil.copy(EMBED_WIDGET / "build.mjs", copy / "build.mjs")
    shutil.copy(EMBED_WIDGET / "package.json", copy / "package.json")
    (copy / "node_modules").symlink_to(EMBED_WIDGET / "node_modules")
    if embed_extra:
        with open(copy / "src" / "embed.js", "a") as source:
            source.write(embed_extra)
    result = subprocess.run([NODE, "build.mjs"], cwd=copy, capture_output=True, text=True, timeout=120)
    return result, copy / "dist"


def test_the_build_reproduces_the_served_files_and_prints_their_sizes(embed_build: Path, tmp_path: Path) -> None:
    result, dist = _build_copy(tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("embed.js", "widget-bridge.js"):
        assert (dist / name).read_bytes() == (embed_build / name).read_bytes()
        assert f"{name}: " in result.stdout and "bytes gzipped (budget 2048)" in result.stdout
    # The widget's voice call: @vapi-ai/web bundled by esbuild, as deterministic, loaded on demand (no budget).
    assert (dist / "vapi-web.js").read_bytes() == (embed_build / "vapi-web.js").read_bytes()
    assert "vapi-web.js: " in result.stdout and "(loaded on demand)" in result.stdout


def test_a_loader_over_the_budget_fails_the_build_and_writes_nothing(embed_build: Path, tmp_path: Path) -> None:
    # ~4 KB of random text survives minification and does not compress below the budget.
    bloat = f"\nwindow.LivChatBloat = '{secrets.token_urlsafe(3000)}';\n"
    result, dist = _build_copy(tmp_path, bloat)
    assert result.returncode == 1
    assert "embed.js" in result.stdout and "OVER BUDGET" in result.stdout
    assert "over the 2048-byte gzipped budget" in result.stderr
    assert not (dist / "embed.js").exists()
    assert (dist / "widget-bridge.js").exists()  # within its budget, so written
