"""The package's floors: a module never imports from a floor above its own, and parts do not
reach into each other (README "Layout"). Every import statement counts, including those inside
functions and ``TYPE_CHECKING`` blocks."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "components" / "eks_platform"
PACKAGE = "eks_platform"

# Lower number = lower floor. A module may import its own floor and the floors below it.
FLOORS = {"args": 0, "parts": 1, "platform": 2, "stack_config": 2, "zones": 2, "offline": 3}
FLOORS |= {"generate": 4}
# Among parts, only the shared helpers and a part another composes.
SHARED_PARTS = {"eks_platform.parts.iam"}
COMPOSED_PARTS = {("eks_platform.parts.network", "eks_platform.parts.nat_instance")}
# The rooms of ``offline``: a room imports its own and lower ones. The model imports no other
# room, the checks and the cost only the model, the change also the checks, the report all.
ROOMS = {"model": 0, "checks": 1, "cost": 1, "change": 2, "report": 3}


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """The ``eks_platform`` modules one file imports (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            found.add(target)
            # ``from .parts import iam`` imports the module eks_platform.parts.iam.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if (PACKAGE_DIR.parent / Path(*candidate.split("."))).with_suffix(".py").exists():
                    found.add(candidate)
    return found


def package_imports() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def floor_of(module: str) -> int | None:
    parts = module.split(".")
    return FLOORS.get(parts[1]) if len(parts) > 1 else None


def forbidden_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import that goes up a floor, across parts, or round a cycle."""
    problems = []
    for module, targets in sorted(graph.items()):
        here = floor_of(module)
        for target in sorted(targets):
            there = floor_of(target)
            if here is None or there is None:
                continue  # the package's __init__ re-exports the public API
            if there > here:
                problems.append(f"{module} imports {target} (a higher floor)")
            elif (
                here == there == FLOORS["parts"]
                and target not in SHARED_PARTS
                and (module, target) not in COMPOSED_PARTS
                and target != "eks_platform.parts"
            ):
                problems.append(f"{module} imports {target} (another part's internals)")
        problems += _room_problems(module, targets)
    dependency = nx.DiGraph([(m, t) for m, ts in graph.items() for t in ts if t in graph])
    dependency.remove_edges_from([(m, m) for m in graph])
    problems += [f"import cycle: {' -> '.join(c)}" for c in nx.simple_cycles(dependency)]
    return problems


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "offline" and parts[2] in ROOMS else None


def _room_problems(module: str, targets: set[str]) -> list[str]:
    here = room_of(module)
    if here is None:
        return []  # the offline package's entry (cli, __init__) reads every room
    return [
        f"{module} imports {target} (room {there} from room {here})"
        for target in sorted(targets)
        if (there := room_of(target)) is not None and there != here and ROOMS[there] >= ROOMS[here]
    ]


def test_the_package_keeps_its_floors():
    graph = package_imports()
    assert "eks_platform.args.config" in graph and "eks_platform.parts.network" in graph
    assert forbidden_imports(graph) == []


def test_args_import_nothing_of_ours_outside_args():
    for module, targets in package_imports().items():
        if module.startswith("eks_platform.args"):
            assert all(t.startswith("eks_platform.args") for t in targets), (module, targets)


def test_the_checker_trips_on_each_forbidden_direction():
    """Negative controls: one made-up import of each forbidden kind."""
    graph = {
        "eks_platform.args.config": {"eks_platform.parts.iam"},
        "eks_platform.parts.compute": {"eks_platform.parts.network", "eks_platform.parts.iam"},
        "eks_platform.parts.network": {"eks_platform.parts.nat_instance"},
        "eks_platform.parts.kms": {"eks_platform.platform"},
        "eks_platform.offline.report.plan": {"eks_platform.generate.docs"},
        "eks_platform.generate.docs": {"eks_platform.offline.report.plan"},
        "eks_platform.parts.iam": set(),
        "eks_platform.parts.nat_instance": set(),
        "eks_platform.platform": set(),
        "eks_platform.offline.model.run": {"eks_platform.offline.checks.preflight"},
        "eks_platform.offline.checks.preflight": {"eks_platform.offline.report.mermaid"},
        "eks_platform.offline.cost.estimate": {"eks_platform.offline.model.recorder"},
        "eks_platform.offline.change.diff": {"eks_platform.offline.checks.preflight"},
    }
    problems = forbidden_imports(graph)
    assert any("args.config imports eks_platform.parts.iam" in p for p in problems)
    assert any("parts.compute imports eks_platform.parts.network (another" in p for p in problems)
    assert any("parts.kms imports eks_platform.platform" in p for p in problems)
    assert any("offline.report.plan imports eks_platform.generate.docs" in p for p in problems)
    assert any("model.run imports eks_platform.offline.checks.preflight" in p for p in problems)
    assert any("checks.preflight imports eks_platform.offline.report" in p for p in problems)
    assert any(p.startswith("import cycle") for p in problems)
    # Allowed: a shared helper and a composed part.
    assert not any("imports eks_platform.parts.iam (another" in p for p in problems)
    assert not any("parts.network imports" in p for p in problems)
    assert not any("cost.estimate imports" in p or "change.diff imports" in p for p in problems)


def test_relative_imports_are_resolved():
    assert "eks_platform.args.config" in imports_of(PACKAGE_DIR / "platform.py")
    assert "eks_platform.parts.iam" in imports_of(PACKAGE_DIR / "parts" / "network.py")
