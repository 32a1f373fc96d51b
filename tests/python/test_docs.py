"""Every Python snippet of docs/python.md runs, in order, in one namespace (from the root)."""

import os
import re

from _orrery_cli import ROOT


def test_every_snippet_runs(capsys):
    text = (ROOT / "docs" / "python.md").read_text()
    snippets = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(snippets) >= 7
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace = {}
        for i, code in enumerate(snippets):
            exec(compile(code, f"docs/python.md snippet {i}", "exec"), namespace)
    finally:
        os.chdir(cwd)
        import orrery
        orrery.unregister_policy("least-loaded")
    assert "policies.placement" in capsys.readouterr().out


def test_the_readme_tour_snippet_runs(capsys):
    text = (ROOT / "README.md").read_text()
    snippets = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(snippets) == 1
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace = {}
        exec(compile(snippets[0], "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
        import orrery
        orrery.unregister_policy("emptiest")
    run = namespace["run"]
    # The Python placement ran: every VM of the default scenario was placed or is pending.
    assert run.summary["vms_total"] > 0
    assert run.audit.filter(run.audit["actor"] == "emptiest").height > 0
