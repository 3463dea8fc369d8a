"""Plugin loading: built-ins, entry points, broken plugins, conflicts, disabling, strict mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kestrel_core import hookimpl
from kestrel_core.errors import ConfigError, PluginError
from kestrel_core.plugins import PluginManager
from kestrel_core.types import AlertSink, PredicateRuntime, normalize_name


class EchoSink:
    """Echo alerts somewhere."""

    def __init__(self, **options):
        self.options = options


class EchoPlugin:
    @hookimpl
    def kestrel_alert_sinks(self):
        return [AlertSink(name="Echo-Sink", factory=EchoSink)]


def make_distribution(root: Path, name: str, module: str, body: str, version: str = "1.2.3"):
    """Write ``module.py`` and a ``NAME-VERSION.dist-info`` registering it under ``kestrel``."""
    (root / f"{module}.py").write_text(textwrap.dedent(body))
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[kestrel]\n{name} = {module}\n")
    return root


def test_component_names_are_normalized():
    assert normalize_name(" Echo-Sink ") == "echo_sink"
    with pytest.raises(ValueError, match="invalid component name"):
        normalize_name("9lives")


def test_inline_plugin_registers_component_and_description(pm):
    pm.register(EchoPlugin(), name="undo-echo")
    try:
        comp = pm.registry.get("alert_sink", "echo_sink")
        assert comp.factory is EchoSink
        assert comp.description == "Echo alerts somewhere."
        info = next(p for p in pm.plugins if p.name == "undo-echo")
        assert info.components == {"alert_sink": ["echo_sink"]}
        assert info.hooks == ["kestrel_alert_sinks"]
    finally:
        pm.unregister("undo-echo")
    assert "echo_sink" not in pm.registry.names("alert_sink")


def test_two_plugins_claiming_one_name_is_an_error_naming_both(pm):
    class Twin:
        @hookimpl
        def kestrel_alert_sinks(self):
            return [AlertSink(name="echo_sink", factory=EchoSink)]

    pm.register(EchoPlugin(), name="first")
    pm.register(Twin(), name="second")
    with pytest.raises(PluginError, match=r"conflicting plugins for alert sink 'echo_sink'.*first.*second"):
        pm.registry  # noqa: B018


def test_hook_returning_wrong_kind_marks_plugin_error(pm):
    class Confused:
        @hookimpl
        def kestrel_alert_sinks(self):
            return [PredicateRuntime(name="oops", factory=EchoSink)]

    info = pm.register(Confused(), name="confused")
    pm.registry  # noqa: B018
    assert info.status == "error"
    assert "return it from kestrel_predicate_runtimes" in info.error


def test_component_built_for_another_api_major_is_refused(pm):
    class Future:
        @hookimpl
        def kestrel_alert_sinks(self):
            return [AlertSink(name="future", factory=EchoSink, api_version="2.0")]

    info = pm.register(Future(), name="future")
    pm.registry  # noqa: B018
    assert info.status == "error"
    assert "plugin API 2.0" in info.error


def test_unknown_component_says_what_is_available_and_what_to_install(pm):
    with pytest.raises(ConfigError) as err:
        pm.registry.get("predicate_runtime", "wasm")
    message = str(err.value)
    assert message.startswith("unknown predicate runtime 'wasm'; available: ")
    assert "python" in message
    assert message.endswith("install kestrel-wasm")


# ---------------------------------------------------------------- real entry-point discovery


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder on sys.path where tests put fake distributions."""
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_fake_distribution_is_discovered_with_its_version(site):
    make_distribution(
        site,
        "kestrel-fake-sink",
        "kestrel_fake_sink_mod",
        """
        from kestrel_core import hookimpl
        from kestrel_core.types import AlertSink

        class FakeSink:
            '''A fake sink.'''

        @hookimpl
        def kestrel_alert_sinks():
            return [AlertSink(name="fake", factory=FakeSink)]
        """,
    )
    pm = PluginManager(disabled=()).load()
    info = next(p for p in pm.plugins if p.name == "kestrel-fake-sink")
    assert (info.distribution, info.version, info.status) == ("kestrel-fake-sink", "1.2.3", "active")
    assert pm.registry.get("alert_sink", "fake").description == "A fake sink."


def test_plugin_that_raises_on_import_is_recorded_not_fatal(site):
    make_distribution(site, "kestrel-broken", "kestrel_broken_mod", "raise ImportError('no libfoo')\n")
    pm = PluginManager(disabled=()).load()
    info = next(p for p in pm.plugins if p.name == "kestrel-broken")
    assert info.status == "error"
    assert info.error == "ImportError: no libfoo"
    assert info.version == "1.2.3"
    # everything else still works
    assert "python" in pm.registry.names("predicate_runtime")


def test_strict_mode_reraises_with_distribution_and_version(site):
    make_distribution(site, "kestrel-broken", "kestrel_broken_mod2", "raise ImportError('no libfoo')\n")
    with pytest.raises(PluginError, match=r"'kestrel-broken' \(kestrel-broken 1.2.3\): ImportError"):
        PluginManager(disabled=(), strict=True).load()


def test_disabled_plugin_is_listed_as_disabled_and_not_imported(site):
    make_distribution(site, "kestrel-broken", "kestrel_broken_mod3", "raise ImportError('boom')\n")
    pm = PluginManager(disabled=("kestrel-broken",)).load()
    info = next(p for p in pm.plugins if p.name == "kestrel-broken")
    assert info.status == "disabled"
    assert "kestrel_broken_mod3" not in sys.modules


def test_hook_raising_at_registry_build_marks_only_that_plugin(site):
    make_distribution(
        site,
        "kestrel-bad-hook",
        "kestrel_bad_hook_mod",
        """
        from kestrel_core import hookimpl

        @hookimpl
        def kestrel_alert_sinks():
            raise RuntimeError("misconfigured")
        """,
    )
    pm = PluginManager(disabled=()).load()
    registry = pm.registry
    info = next(p for p in pm.plugins if p.name == "kestrel-bad-hook")
    assert info.status == "error" and "RuntimeError: misconfigured" in info.error
    assert "python" in registry.names("predicate_runtime")


def _kestrel(args, env_extra, cwd=None):
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "kestrel_core", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )


def test_cli_plugins_list_and_validate_survive_a_broken_plugin(tmp_path):
    make_distribution(tmp_path, "kestrel-broken", "kestrel_broken_cli", "raise ImportError('no libfoo')\n")
    env = {"PYTHONPATH": str(tmp_path)}
    proc = _kestrel(["plugins", "list", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["kestrel-broken"]["status"] == "error"
    assert rows["kestrel-broken"]["error"] == "ImportError: no libfoo"
    assert rows["kestrel-broken"]["version"] == "1.2.3"
    assert rows["kestrel-core"]["status"] == "active"

    config = tmp_path / "kestrel.toml"
    config.write_text('[engine]\nruntime = "python"\n')
    proc = _kestrel(["validate", "--config", str(config)], env)
    assert proc.returncode == 0, proc.stderr


def test_config_naming_a_missing_runtime_exits_2_with_the_message(tmp_path):
    config = tmp_path / "kestrel.toml"
    config.write_text('[engine]\nruntime = "nonesuch"\n')
    proc = _kestrel(["validate", "--config", str(config)], {})
    assert proc.returncode == 2
    assert "unknown predicate runtime 'nonesuch'; available: " in proc.stderr


def test_plugins_list_json_lists_every_first_party_distribution_active():
    proc = _kestrel(["plugins", "list", "--json"], {})
    assert proc.returncode == 0, proc.stderr
    rows = {r["distribution"]: r for r in json.loads(proc.stdout)}
    for dist in ("kestrel-core", "kestrel-eql", "kestrel-wasm", "kestrel-lua", "kestrel-nfa", "kestrel-sinks"):
        assert rows[dist]["status"] == "active", rows[dist]
        assert set(rows[dist]) == {"name", "distribution", "version", "status", "error", "components", "hooks"}
    assert rows["kestrel-core"]["components"]["predicate_runtime"] == ["python"]
    assert rows["kestrel-sinks"]["components"] == {"alert_sink": ["file", "stdout"]}
