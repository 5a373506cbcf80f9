"""The embed scripts' weight as served: `/embed.js` runs on every page of every customer (target
≤ 2 KB gzipped, Chatwoot's sdk.js budget is 40 KB) and `/widget-bridge.js` on every widget load.
Builds them first (`make embed`), then measures the exact bytes the route sends."""

from __future__ import annotations

import subprocess
from pathlib import Path

from livchat.api import embed

ROOT = Path(__file__).resolve().parents[1]
TARGET_GZIP_BYTES = 2048


def run() -> dict[str, object]:
    subprocess.run(["make", "-s", "embed"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    rows = []
    for path, name in embed.SCRIPTS.items():
        script = embed.built_script(name)
        assert script is not None, f"{name} was not built"
        rows.append({
            "script": path,
            "bytes": len(script.body),
            "gzip_bytes": len(script.gzipped),
            "target_gzip_bytes": TARGET_GZIP_BYTES,
            "met": len(script.gzipped) <= TARGET_GZIP_BYTES,
        })
    return {"title": "Embed scripts as served (minified; gzip level 9)", "rows": rows}
