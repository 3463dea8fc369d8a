"""One version for every distribution, exact pins between them, and the right ``kestrel``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bump_version  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

VERSION = (ROOT / "VERSION").read_text().strip()


@pytest.mark.parametrize("rel", bump_version.PYPROJECTS)
def test_distribution_version_matches_VERSION(rel):
    project = tomllib.loads((ROOT / rel).read_text())["project"]
    assert project["version"] == VERSION, f"{rel} says {project['version']}, VERSION says {VERSION}"


@pytest.mark.parametrize("rel", bump_version.PYPROJECTS)
def test_pins_between_kestrel_distributions_are_exact_and_current(rel):
    project = tomllib.loads((ROOT / rel).read_text())["project"]
    reqs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    for req in reqs:
        if req.startswith("kestrel-"):
            assert re.fullmatch(r"kestrel-[a-z-]+==" + re.escape(VERSION), req), (rel, req)


@pytest.mark.parametrize("rel", bump_version.INIT_FILES)
def test_package_version_matches_VERSION(rel):
    text = (ROOT / rel).read_text()
    assert f'__version__ = "{VERSION}"' in text


def test_every_distribution_registers_a_kestrel_entry_point():
    for rel in bump_version.PYPROJECTS:
        project = tomllib.loads((ROOT / rel).read_text())["project"]
        eps = project.get("entry-points", {}).get("kestrel", {})
        assert eps == {project["name"]: eps.get(project["name"])} and eps, rel


def test_core_requires_the_engine_parts_and_all_extra_pulls_the_rest():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = {d.split("==")[0] for d in project["dependencies"] if d.startswith("kestrel-")}
    assert deps == {"kestrel-nfa", "kestrel-sinks"}
    extra = {d.split("==")[0] for d in project["optional-dependencies"]["all"]}
    assert extra == {"kestrel-eql", "kestrel-wasm", "kestrel-lua"}


def test_kestrel_command_on_path_is_this_project():
    # Another PyPI project ships a `kestrel` command: make sure ours is the one installed.
    exe = shutil.which("kestrel", path=str(Path(sys.executable).parent)) or shutil.which("kestrel")
    assert exe, "the kestrel command is not on PATH; install kestrel-core"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert "kestrel-core" in out and VERSION in out


def test_bump_version_rewrites_every_place(tmp_path, monkeypatch):
    for rel in [*bump_version.PYPROJECTS, *bump_version.INIT_FILES, "VERSION"]:
        dest = tmp_path / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text((ROOT / rel).read_text())
    monkeypatch.setattr(bump_version, "ROOT", tmp_path)
    bump_version.bump("9.8.7")
    assert (tmp_path / "VERSION").read_text().strip() == "9.8.7"
    for rel in bump_version.PYPROJECTS:
        text = (tmp_path / rel).read_text()
        assert 'version = "9.8.7"' in text
        assert VERSION not in text
    for rel in bump_version.INIT_FILES:
        assert '__version__ = "9.8.7"' in (tmp_path / rel).read_text()
