"""`make bench`: run every benchmark, print a table each, write bench/results/<name>.json."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS = ["startup", "gateway", "api", "webhooks", "embed", "knowledge", "landing", "agent", "eval", "widget",
              "widget_load", "analytics", "storage", "ingest"]


def print_table(title: str, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print(f"\n{title}")
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def main(names: list[str]) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        result = module.run()
        print_table(result["title"], result["rows"])
        print_table("Misses", result.get("misses", []))
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
        print(f"-> bench/results/{name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
