"""The package's shape is checked: imports point one way (later stages import earlier ones, never the reverse),
and no modules import each other in a circle. README "Architecture" describes the same order."""

from __future__ import annotations

import ast

import networkx as nx
from tests.helpers import ROOT

PACKAGE = ROOT / "src" / "evsynth"
# The layers, from the ground up; a module may import its own layer's package or a lower layer.
LAYERS = (
    {"models", "errors", "config", "fileio", "text", "version"},
    {"formats"},
    {"query"},
    {"store"},
    {"protocol"},
    {"sources"},
    {"screening"},
    {"tagger"},
    {"annotations"},
    {"synthesis"},
    {"mining"},
    {"audit"},
    {"testing"},
    {"pipeline"},
    {"desk"},
    {"cli", "__main__", "__init__"},
)


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def _rank(module: str) -> int:
    part = _part(module)
    return next(rank for rank, names in enumerate(LAYERS) if part in names)


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        graph.add_node(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evsynth"):
                # `from evsynth.cli import review` imports the module evsynth.cli.review
                targets = [f"{node.module}.{a.name}" if _is_module(f"{node.module}.{a.name}") else node.module
                           for a in node.names]  # fmt: skip
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("evsynth.")]
            else:
                continue
            graph.add_edges_from((name, target) for target in targets if target != name)
    return graph


def test_architecture_every_module_is_in_a_layer() -> None:
    for module in _imports():
        assert any(_part(module) in names for names in LAYERS), f"{module}: add its package to LAYERS and README"


def test_architecture_imports_point_one_way() -> None:
    graph = _imports()
    wrong = [f"{a} imports {b}" for a, b in graph.edges if _rank(b) > _rank(a) and _part(a) != "__init__"]
    assert wrong == []


def test_architecture_has_no_import_cycles() -> None:
    graph = _imports()
    graph.remove_nodes_from([n for n in list(graph) if n == "evsynth"])  # the package face re-exports only
    assert list(nx.simple_cycles(graph)) == []


COMPLEXITY_BOUND = 25  # radon's cyclomatic complexity; gilda, doing the tagger's job, peaks at 26


def test_architecture_no_function_above_the_complexity_bound() -> None:
    from radon.complexity import cc_visit

    found = {}
    for path in PACKAGE.rglob("*.py"):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            for item in [block, *getattr(block, "methods", [])]:
                name = f"{item.classname}.{item.name}" if getattr(item, "classname", None) else item.name
                if item.complexity > COMPLEXITY_BOUND:
                    found[f"{path.relative_to(PACKAGE).as_posix()}:{name}"] = item.complexity
    assert found == {}, "split these into smaller functions"


def test_commands_start_without_the_heavy_libraries() -> None:
    """Every command imports evsynth.cli: scipy, pyarrow, pandas, dask and bioc (half a second and more to load)
    are imported only by the commands and stages that use them (mine, a background, annotation files)."""
    import subprocess
    import sys

    heavy = ("scipy", "pyarrow", "pandas", "dask", "distributed", "bioc")
    code = f"import sys, evsynth.cli; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(PACKAGE.parent), "PATH": ""})  # fmt: skip
    assert out.stdout.strip() == "[]"
