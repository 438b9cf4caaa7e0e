"""The layers, read from the source: which module imports which when it is loaded
(imports at module level; an import inside a function runs later and is not a
load-time edge).

* no import circle between the project's modules at load time;
* a layer never imports the one above it: models ← selectors ← services ←
  (api, views, forms, tasks); views never import an API module; services and
  selectors never import tasks (work is queued by task name);
* every module of every app imports in a fresh interpreter.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "crm", "segmentation", "tickets", "surveys", "reviews", "integrations", "care", "xsell", "feedback"]


def _modules() -> dict[str, Path]:
    out = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            if "migrations" in rel.parts or "tests" in rel.parts:
                continue
            name = ".".join(rel.parts)
            out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _load_time_imports(name: str, path: Path) -> set[str]:
    """Project modules imported at module level (not inside a function or behind TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
            if isinstance(node, ast.ClassDef):
                visit(node.body)
            elif hasattr(node, "body") and not isinstance(node, ast.ClassDef):
                visit(getattr(node, "body", []))
                visit(getattr(node, "orelse", []))
                visit(getattr(node, "finalbody", []))
                for h in getattr(node, "handlers", []):
                    visit(h.body)

    visit(tree.body)
    # A package importing its own submodules to re-export them is not an edge back.
    return {m for m in found if m in MODULES and m != name and not m.startswith(name + ".")}


GRAPH = {name: _load_time_imports(name, path) for name, path in MODULES.items()}


def _layer(name: str) -> str | None:
    last = name.split(".")
    for part in reversed(last):
        for layer in ("api", "views", "tasks", "services", "selectors", "forms"):
            if part == layer or part.startswith(layer + "_") or part.endswith("_" + layer):
                return layer
    return None


def test_no_import_circle_at_load_time():
    """Tarjan's strongly connected components over the load-time graph: none larger than one module."""
    index, low, stack, on, circles = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            strong(v)
    assert circles == []


# (importer's layer, imported layer): a layer may not import the one above it.
FORBIDDEN = {("selectors", "services"), ("selectors", "tasks"), ("selectors", "api"), ("selectors", "views"),
             ("services", "tasks"), ("services", "api"), ("services", "views"), ("services", "forms"),
             ("forms", "api"), ("forms", "views"), ("views", "api"), ("api", "views"), ("tasks", "api"),
             ("tasks", "views")}


def test_no_layer_imports_the_one_above_it():
    wrong = sorted(f"{a} imports {b}" for a, deps in GRAPH.items() for b in deps
                   if (_layer(a), _layer(b)) in FORBIDDEN)
    assert wrong == []


@pytest.mark.parametrize("app", APPS)
def test_every_module_of_the_app_imports_in_a_fresh_interpreter(app):
    names = [n for n in MODULES if n == app or n.startswith(app + ".")]
    script = (
        "import importlib, os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.test')\n"
        "import django\n"
        "names = sys.argv[1:]\n"
        "django.setup()\n"
        "for n in names:\n"
        "    importlib.import_module(n)\n"
    )
    # One interpreter per app (one per module would take minutes on this machine).
    result = subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
