"""The layers of ARCHITECTURE.md, checked on every import of every module (function-level
imports too): dependencies point down only, and nothing below the UI imports Reflex."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "livchat"

# Bottom to top. A part may import the parts below it, never one above. `api` and `state` are two
# adapters over the same services, side by side: neither imports the other. `scale` runs the app as
# several processes (Reflex's runner, a balancer): the CLI starts it; it imports only settings.
ORDER = ["core", "i18n", "models", "integrations", "sandbox", "services", "api", "state", "components",
         "pages", "scale", "cli", "livchat"]
SIBLINGS = {("api", "state"), ("state", "api"), ("cli", "api"), ("cli", "state"), ("cli", "components"),
            ("cli", "pages")}
ALLOWED: dict[str, set[str]] = {
    part: {below for below in ORDER[:index] if (part, below) not in SIBLINGS} for index, part in enumerate(ORDER)
}
NO_REFLEX = {"core", "i18n", "models", "integrations", "sandbox", "services", "api", "cli"}


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(part: str, source: str) -> list[str]:
    found = []
    for name in sorted(imported_modules(source)):
        top, _, rest = name.partition(".")
        if top == "reflex" and part in NO_REFLEX:
            found.append(f"imports reflex ({name})")
        if top == "livchat" and rest:
            target = rest.split(".")[0]
            if target in ALLOWED and target != part and target not in ALLOWED[part]:
                found.append(f"imports {name} ({part} may not depend on {target})")
    return found


def part_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 else relative.stem


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {part_of(p) for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE}
    assert parts <= set(ALLOWED), f"add these to ALLOWED: {sorted(parts - set(ALLOWED))}"


def test_dependencies_point_down_only() -> None:
    problems = [f"{path.relative_to(PACKAGE.parent)}: {problem}"
                for path in sorted(PACKAGE.rglob("*.py"))
                if path.parent != PACKAGE or path.name != "__init__.py"
                for problem in violations(part_of(path), path.read_text())]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("part", "source", "expected"), [
    ("services", "import reflex as rx", "imports reflex"),
    ("services", "def f():\n    from livchat.state.auth import authorized", "may not depend on state"),
    ("integrations", "from livchat.services.whatsapp import instances", "may not depend on services"),
    ("core", "from livchat.models import Instance", "may not depend on models"),
    ("api", "from livchat.pages import landing", "may not depend on pages"),
])
def test_a_wrong_import_is_caught(part: str, source: str, expected: str) -> None:
    assert any(expected in problem for problem in violations(part, source))
