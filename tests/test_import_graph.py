"""The package's import graph: no cycles, dependencies pointing one way, and a light ``import pie_embed``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pie_embed

PACKAGE = Path(pie_embed.__file__).parent
# cli -> downstream -> serving / tools / training -> benchmark / labeling -> embedding -> data; a module
# may import its own subpackage and any lower layer. Root modules (errors, paths, progress) are layer -1.
LAYERS = {"data": 0, "embedding": 1, "benchmark": 2, "labeling": 2, "tools": 3, "training": 3, "serving": 3}
LAYERS["downstream"] = 4  # benchmarks of the tools (retrieve, select) with an LLM
LAYERS["cli"] = 5


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> list[str]:
    """Every pie_embed name imported (``from a import b``: ``a.b`` where that is a module, else ``a``)."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.append(submodule if _is_module(submodule) else node.module)
    return [name for name in names if name == "pie_embed" or name.startswith("pie_embed.")]


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _top_level_imports(tree: ast.Module) -> list[str]:
    """Imports run when the module loads (not inside functions or ``if TYPE_CHECKING``)."""
    statements = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return _imports(ast.Module(body=statements, type_ignores=[]))


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> modules it loads at import time, module -> every pie_embed module it names anywhere)."""
    trees = {_module_name(path): ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")}

    def known(name: str) -> str | None:
        while name not in trees:
            if "." not in name:
                return None
            name = name.rsplit(".", 1)[0]
        return name

    loads: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for module, tree in trees.items():
        targets = {known(name) for name in _top_level_imports(tree)} - {None, module}
        # importing a.b.c runs a/__init__ and a/b/__init__ first (the importer's own packages are loaded)
        parents = {target.rsplit(".", i)[0] for target in targets for i in range(1, target.count(".") + 1)}
        loads[module] = {t for t in targets | parents if t and not module.startswith(t + ".")} - {module}
        names[module] = {m for m in (known(name) for name in _imports(tree)) if m}
    return loads, names


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in ("__init__", "__main__"):
        return None
    return LAYERS.get(parts[1], -1)


def test_no_import_cycles_at_load_time() -> None:
    loads, _ = _graph()
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(loads.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = 2

    for module in sorted(loads):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_no_import_circles_anywhere() -> None:
    """No circle even through imports inside functions (a lazy import still ties two modules together)."""
    _, names = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def connect(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in names.get(module, ()):
            if target == module:
                continue
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(names):
        if module not in index:
            connect(module)
    assert circles == []


def test_dependencies_point_one_way() -> None:
    _, names = _graph()
    upward = [
        f"{module} -> {target}"
        for module, targets in names.items()
        for target in targets
        if (low := _layer(module)) is not None
        and (high := _layer(target)) is not None
        and high > low
        and module.split(".")[1] != target.split(".")[1]
    ]
    assert upward == []
    sideways = [
        f"{module} -> {target}"
        for module, targets in names.items()
        for target in targets
        if (layer := _layer(module)) is not None
        and layer >= 0
        and layer == _layer(target)
        and module.split(".")[1] != target.split(".")[1]
    ]
    assert sideways == []  # e.g. serving never imports tools: it is handed their objects
    data_imports = {t for m, targets in names.items() if m.startswith("pie_embed.data") for t in targets}
    assert not {t for t in data_imports if _layer(t) not in (None, -1, 0)}


def test_graph_sees_a_known_edge() -> None:
    loads, names = _graph()
    assert "pie_embed.cli.app" in loads["pie_embed.cli.bench"]
    assert "pie_embed.data.ray_parquet" in names["pie_embed.data.embeddings"]
    assert "pie_embed.tools.identify" in names["pie_embed.tools.toolkit"]


def test_import_pie_embed_does_not_import_torch() -> None:
    code = "import sys, pie_embed; print('torch' in sys.modules, pie_embed.__version__ != '')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_lazy_names_resolve() -> None:
    from pie_embed.embedding.embedder import InstructionEmbedder

    assert pie_embed.InstructionEmbedder is InstructionEmbedder
    assert "InstructionEmbedder" in dir(pie_embed)


def test_python_dash_m_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pie_embed", "--help"], capture_output=True, text=True, check=True
    ).stdout
    commands = ["bench", "embed", "label", "train", "models", "select", "retrieve", "correlate"]
    commands += ["identify", "map", "serve", "index"]
    for command in commands:
        assert f" {command} " in out, command
