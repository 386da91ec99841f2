"""The core package never imports ophyd-async, bluesky, event-model or tango (only ace_gentl.bluesky does)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

OPTIONAL = ("ophyd_async", "bluesky", "event_model", "tango", "tiled")


def test_importing_every_core_module_loads_no_bluesky_or_tango_package() -> None:
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        import ace_gentl

        def walk(path, prefix):  # pkgutil.walk_packages would import ace_gentl.bluesky to look inside it
            for info in pkgutil.iter_modules(path, prefix):
                if info.name == "ace_gentl.bluesky":
                    continue
                yield info.name
                if info.ispkg:
                    yield from walk(importlib.import_module(info.name).__path__, info.name + ".")

        names = list(walk(ace_gentl.__path__, "ace_gentl."))
        for name in names:
            importlib.import_module(name)
        from ace_gentl import cli
        cli.app(["--help"], standalone_mode=False)  # the CLI, serve command included
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {OPTIONAL!r})
        print(len(names), "modules;", "loaded:", loaded)
        assert not loaded, loaded
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    count = int(done.stdout.strip().splitlines()[-1].split()[0])  # after the CLI help text
    assert count > 20  # the walk really found the core modules


def test_the_check_sees_an_optional_import() -> None:
    # The same check on ace_gentl.bluesky must report the packages it loads (so the test above can fail).
    script = f"import sys, ace_gentl.bluesky; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({OPTIONAL!r})))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ophyd_async" in done.stdout and "bluesky" in done.stdout
