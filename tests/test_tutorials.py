"""The tutorials of the documentation run as written (docs/tutorials/*.md).

Every fenced ```python block of a tutorial is executed, in order, in one namespace, in a fresh
working directory holding a copy of ``examples/`` (the tutorials are written to be run from the
repository root). Other fences (bash, toml, text) are not run.
"""

from __future__ import annotations

import linecache
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.md"))
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[str]:
    """The ```python blocks of a Markdown file, in order."""
    return _FENCE.findall(path.read_text(encoding="utf-8"))


def test_every_tutorial_is_found() -> None:
    assert len(TUTORIALS) >= 4, TUTORIALS
    for path in TUTORIALS:
        assert python_blocks(path), f"{path.name} has no ```python block"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__tutorial__"}
    for number, block in enumerate(python_blocks(path), start=1):
        name = f"{path.name}, python block {number}"
        linecache.cache[name] = (len(block), None, block.splitlines(keepends=True), name)  # readable tracebacks
        code = compile(block, name, "exec")
        exec(code, namespace)  # noqa: S102 - the tutorial's own code
