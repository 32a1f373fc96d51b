"""orrery's exceptions. The Rust side raises them with the same one-paragraph messages the CLI
prints (file, line, column, key, message and hint for bad input)."""

from __future__ import annotations

from typing import Optional


class OrreryError(Exception):
    """Base class of every error orrery raises."""


class InputError(OrreryError, ValueError):
    """Bad input: a malformed or invalid scenario, trace, override or argument.

    ``str(err)`` is the located paragraph ``orrery`` prints (exit code 2); its parts are
    attributes (``None`` when unknown).
    """

    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    key: Optional[str] = None
    detail: Optional[str] = None
    hint: Optional[str] = None


class RunError(OrreryError, RuntimeError):
    """A failure while running: the infrastructure, a trace read mid-run, an output."""


class PolicyError(RunError):
    """A Python policy raised, or returned something that is not a list of ``Action``s.

    The run stops; ``policy`` names the policy and ``__cause__`` is the exception it raised.
    """

    policy: Optional[str] = None
