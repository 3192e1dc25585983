"""Every public callable documents every parameter (numpydoc), and the main
entry points' ``Examples`` run as doctests."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import inspect
import re

import pytest

PUBLIC_MODULES = (
    "pixsmote",
    "pixsmote.sampling",
    "pixsmote.torch",
    "pixsmote.data",
    "pixsmote.train",
    "pixsmote.report",
    "pixsmote.app",
)

_HEADING = re.compile(r"^(\s*)([A-Z][A-Za-z ]+)\n\1-{3,}\s*$", re.M)


def _sections(doc: str) -> dict[str, str]:
    """numpydoc sections of a docstring: heading -> body."""
    doc = inspect.cleandoc(doc)
    marks = list(_HEADING.finditer(doc))
    return {
        m.group(2).strip(): doc[m.end() : marks[k + 1].start() if k + 1 < len(marks)
                                else len(doc)]
        for k, m in enumerate(marks)
    }  # fmt: skip


def documented_parameters(doc: str | None, *, attributes: bool = False) -> set[str]:
    """Names listed in the Parameters (and Other Parameters) sections, and in
    Attributes with ``attributes=True`` (a dataclass's fields are both)."""
    names: set[str] = set()
    sections = _sections(doc or "")
    titles = ["Parameters", "Other Parameters"] + (["Attributes"] if attributes else [])
    for title in titles:
        body = sections.get(title, "")
        for line in body.splitlines():
            if not line or line[0].isspace():
                continue  # a description line
            head = line.split(" : ")[0].strip()
            for name in head.split(","):
                names.add(name.strip().lstrip("*"))
    return names


def _public_callables():
    seen = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{module_name}.{name}", obj


def _parameters(obj) -> list[str]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and target is object.__init__:
        return []
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in sig.parameters.values()
        if p.name not in ("self", "cls") and not p.name.startswith("_")
    ]


def _doc_of(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and "Parameters" not in doc:
        doc += "\n\n" + (inspect.getdoc(obj.__init__) or "")
    return doc


CALLABLES = dict(_public_callables())
#: Every public name, re-exports included (CALLABLES lists each object once).
BY_NAME = {
    f"{m}.{n}": getattr(importlib.import_module(m), n)
    for m in PUBLIC_MODULES
    for n in importlib.import_module(m).__all__
}


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_every_parameter_is_described(name):
    obj = CALLABLES[name]
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        pytest.skip("exceptions take a message")
    params = _parameters(obj)
    doc = _doc_of(obj)
    assert doc, f"{name} has no docstring"
    described = documented_parameters(doc, attributes=dataclasses.is_dataclass(obj))
    missing = [p for p in params if p not in described]
    assert not missing, f"{name}: parameters without a description: {missing}"


#: The entry points a user meets first: each shows itself in an Examples
#: section, run below.
MAIN_ENTRY_POINTS = (
    "pixsmote.SMOTE",
    "pixsmote.sampling.synthesize",
    "pixsmote.sampling.list_samplers",
    "pixsmote.sampling.get_sampler",
    "pixsmote.torch.ResampledDataset",
    "pixsmote.torch.ClassBalancedSampler",
    "pixsmote.data.load_dataset",
    "pixsmote.report.mean_std",
    "pixsmote.app.online_train_data",
)


@pytest.mark.parametrize("name", MAIN_ENTRY_POINTS)
def test_main_entry_points_have_examples(name):
    assert "Examples" in _sections(inspect.getdoc(BY_NAME[name]) or ""), name


def _doctests():
    finder = doctest.DocTestFinder()
    tests = {}
    for name, obj in CALLABLES.items():
        # globs=None: each example sees its module's globals, as doctest does.
        for test in finder.find(obj, name, module=inspect.getmodule(obj)):
            if test.examples:
                tests.setdefault(test.name, test)
    return tests


DOCTESTS = _doctests()


def test_the_examples_are_collected():
    collected = {id(BY_NAME[n]) for n in DOCTESTS if n in BY_NAME}
    assert all(id(BY_NAME[n]) in collected for n in MAIN_ENTRY_POINTS)


@pytest.mark.parametrize("name", sorted(DOCTESTS))
def test_docstring_examples_run(name):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(DOCTESTS[name], out=lambda text: print(text, end=""))
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed"
