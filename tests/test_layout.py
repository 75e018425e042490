"""The package's layout: its stages (subpackages and top-level modules) import one another one
way, in at most seven floors from the command line down, and the user's path never imports the
paper's protocol. Every import counts, those inside functions too."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bioassay_mix"
MAX_FLOORS = 7


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _imported(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            names = [name] if node.module else [f"{name}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out.update(n for n in names if n.startswith("bioassay_mix."))
    return out


@functools.cache
def stage_imports() -> dict[str, frozenset[str]]:
    """Each stage and the other stages it imports."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        stage = _stage(module)
        targets = {_stage(m) for m in _imported(path, module)}
        edges.setdefault(stage, set()).update(targets - {stage, "bioassay_mix"})
    return {s: frozenset(t) for s, t in edges.items()}


def floors(stage: str, seen: tuple[str, ...] = ()) -> list[str]:
    """The longest chain of imports from ``stage`` down."""
    if stage in seen:
        raise AssertionError(f"an import cycle: {' -> '.join((*seen, stage))}")
    below = [floors(t, (*seen, stage)) for t in stage_imports().get(stage, ())]
    return [stage, *max(below, key=len, default=[])]


def test_the_layout_is_read():
    edges = stage_imports()
    assert {"bioassay_mix.cli", "bioassay_mix.target", "bioassay_mix.protocol"} <= set(edges)
    assert "bioassay_mix.estimator" in edges["bioassay_mix.target"]


@pytest.mark.parametrize("stage", sorted(stage_imports()))
def test_no_cycle_and_at_most_seven_floors(stage):
    chain = floors(stage)
    assert len(chain) <= MAX_FLOORS, " -> ".join(chain)


@pytest.mark.parametrize(
    "stage",
    [
        "bioassay_mix.target",
        "bioassay_mix.estimator",
        "bioassay_mix.library",
        "bioassay_mix.bundle",
    ],
)
def test_the_users_path_never_imports_the_paper_protocol(stage):
    reached, todo = set(), [f"bioassay_mix.{stage}"]
    while todo:
        s = todo.pop()
        reached.add(s)
        todo += [t for t in stage_imports().get(s, ()) if t not in reached]
    assert "bioassay_mix.protocol" not in reached
