"""requirements/constraints.txt pins the environment pyproject.toml allows.

pyproject.toml states compatible ranges for users; `make` and CI install the
exact versions of the constraints file. The two must agree: every dependency
(core and every extra) has one pin, inside its range, so that adding or raising
a dependency without re-locking (`make lock`) fails here rather than in CI.
"""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _pins():
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            assert canonicalize_name(name) not in pins, f"pinned twice: {name}"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return [r for r in reqs if canonicalize_name(r.name) != "pixsmote"]


def test_every_dependency_is_pinned_inside_its_range():
    pins = _pins()
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements/constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{req.name}=={pins[name]} is outside {req.name}{req.specifier}"
        )


def test_the_tested_torch_and_no_local_package():
    pins = _pins()
    assert pins["torch"] == Version("2.13.0")
    assert "pixsmote" not in pins
