"""Constructors of the actions a policy returns, mirroring the engine's ``Action`` exactly.

Hosts, VMs and services are numbered from 0, as in a :class:`orrery.View`::

    from orrery import actions
    plan = [actions.deploy(vm=3, host=0), actions.power_off(host=7)]
"""

from __future__ import annotations

from typing import Optional

from ._orrery import Action

__all__ = [
    "Action", "deploy", "reject", "defer", "migrate", "suspend", "resume", "shutdown",
    "resize", "power_on", "power_off", "admit_service", "reject_service", "scale_role",
]


def deploy(vm: int, host: int) -> Action:
    """Start pending VM ``vm`` on ``host`` (powering the host on first if it is off)."""
    return Action.deploy(vm, host)


def reject(vm: int, reason: str = "") -> Action:
    """Refuse pending VM ``vm``; ``reason`` goes to the event and audit logs."""
    return Action.reject(vm, reason)


def defer(vm: int, reason: str = "") -> Action:
    """Leave pending VM ``vm`` pending: it is offered to placement again at the next update."""
    return Action.defer(vm, reason)


def migrate(vm: int, host: int) -> Action:
    """Live-migrate running VM ``vm`` to ``host``."""
    return Action.migrate(vm, host)


def suspend(vm: int) -> Action:
    """Suspend running VM ``vm`` (its memory stays on its host)."""
    return Action.suspend(vm)


def resume(vm: int) -> Action:
    """Resume suspended VM ``vm`` on its host."""
    return Action.resume(vm)


def shutdown(vm: int) -> Action:
    """Stop VM ``vm`` for good."""
    return Action.shutdown(vm)


def resize(vm: int, vcpus: Optional[int] = None, memory_mb: Optional[float] = None) -> Action:
    """Change placed VM ``vm``'s vCPUs and/or memory (``None``: unchanged)."""
    return Action.resize(vm, vcpus, memory_mb)


def power_on(host: int) -> Action:
    """Power ``host`` on."""
    return Action.power_on(host)


def power_off(host: int) -> Action:
    """Power ``host`` off once the VMs migrating away from it have left."""
    return Action.power_off(host)


def admit_service(service: int) -> Action:
    """Admit pending service ``service``: its roles deploy in dependency order."""
    return Action.admit_service(service)


def reject_service(service: int, reason: str = "") -> Action:
    """Refuse pending service ``service``."""
    return Action.reject_service(service, reason)


def scale_role(service: int, role: int, cardinality: int, cooldown_s: int = 0) -> Action:
    """Set role ``role`` of ``service`` to ``cardinality`` VMs, then cool down ``cooldown_s``."""
    return Action.scale_role(service, role, cardinality, cooldown_s)
