"""Every zh-Hans catalogue is complete, and no text is translated at import time
(a module-level ``gettext`` freezes the language of whoever imported it first)."""
from __future__ import annotations

import ast
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", "node_modules", "var", ".git"}
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}


def _project_files(pattern: str) -> list[Path]:
    return sorted(p for p in ROOT.glob(pattern) if not SKIP.intersection(p.relative_to(ROOT).parts))


CATALOGUES = _project_files("**/locale/zh_Hans/LC_MESSAGES/django.po")


def test_every_app_has_a_zh_hans_catalogue():
    apps = {p.relative_to(ROOT).parts[0] for p in CATALOGUES}
    assert {"locale", "crm", "segmentation", "tickets", "surveys", "reviews"} <= apps


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_zh_hans_catalogue_has_no_untranslated_or_fuzzy_entry(po_path):
    catalogue = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in catalogue.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries() if not e.obsolete]
    assert untranslated == [], f"untranslated in {po_path}"
    assert fuzzy == [], f"fuzzy in {po_path}"


def eager_gettext_at_import(source: str) -> list[str]:
    """Calls of gettext/ngettext/pgettext (under any alias) that run when the module is imported."""
    tree = ast.parse(source)
    names = {a.asname or a.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
             for a in node.names if a.name in EAGER}
    found = []

    def visit(node, deferred: bool):
        for child in ast.iter_child_nodes(node):
            if (not deferred and isinstance(child, ast.Call) and isinstance(child.func, ast.Name)
                    and child.func.id in names):
                found.append(f"line {child.lineno}: {ast.unparse(child)}")
            body_deferred = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and not deferred:
                # Default values and decorators are evaluated at import time.
                for expr in [*child.args.defaults, *child.args.kw_defaults, *child.decorator_list]:
                    if expr is not None:
                        visit(ast.Expression(body=expr), False)
            visit(child, body_deferred)

    visit(tree, False)
    return found


def test_the_import_time_check_finds_a_module_level_gettext():
    source = ("from django.utils.translation import gettext as _\n"
              "DONE = {'x': _('Done.')}\n"
              "def later():\n    return _('Fine here.')\n"
              "def default(label=_('Too early.')):\n    pass\n")
    assert eager_gettext_at_import(source) == ["line 2: _('Done.')", "line 5: _('Too early.')"]


def test_no_module_translates_text_at_import_time():
    offenders = {}
    for path in _project_files("**/*.py"):
        found = eager_gettext_at_import(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
