"""A Gymnasium environment over the step API: an agent places VMs, one at a time.

``PlacementEnv(scenario)`` runs the scenario with placement left to the agent and every other
decision (reallocation, elasticity, admission) to the scenario's own policies.

- **Action**: ``Discrete(n_hosts)``: the host for the VM being placed. A host where the VM does
  not fit (``View.fits``: failed or shutting down, a vCPU faster than its cores, or not enough
  unreserved CPU or memory, counting the VMs this batch already placed) is refused: the VM is
  rejected and the step costs ``reject_penalty``. ``info["action_mask"]`` marks the feasible
  hosts (1) for masked policies.
- **Observation**: ``Box(0, 1, (4·n_hosts + 2,), float32)``: per host, in id order, CPU
  utilisation at the last update, reserved CPU and reserved memory as fractions of what is
  reservable (this batch's placements included), and 1 when on or booting; then the VM's
  nominal MIPS and memory as fractions of the largest host's. Values are clipped to [0, 1].
- **Reward**: per step, ``−energy_weight × E − reject_penalty × [rejected] − sla_weight × S``,
  where E (kWh) is the energy the hosts draw until the next placement decision (the mean of
  ``View.power_w`` at both ends times the time between them, charged to the last VM of a
  batch, 0 for the others) and S is ``View.shortfall`` (the fraction of requested CPU hosts
  cannot give) at the next decision.
- **Episode**: ends (``terminated``) when the run does; never truncated.
  ``reset(seed=s)`` runs the scenario with seed ``s`` (``None``: the scenario's own seed), so
  the same seed and actions give the same episode.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import ScenarioLike, Sets, Simulation, actions, load

__all__ = ["PlacementEnv"]


class PlacementEnv(gym.Env):
    """VM placement as a Gymnasium environment (see the module's docstring for the spaces and
    the reward)."""

    metadata = {"render_modes": []}

    def __init__(self, scenario: ScenarioLike = None, *, set: Sets = None, base_dir: Any = None,
                 energy_weight: float = 1.0, reject_penalty: float = 1.0,
                 sla_weight: float = 1.0) -> None:
        self.scenario = load(scenario, set=set, base_dir=base_dir)
        self.energy_weight = energy_weight
        self.reject_penalty = reject_penalty
        self.sla_weight = sla_weight
        probe = Simulation(self.scenario, control=()).view
        self.n_hosts: int = probe.n_hosts
        if self.n_hosts == 0:
            raise ValueError("the scenario has no hosts")
        self._max_mips = max(probe.capacity_mips(h) for h in range(self.n_hosts))
        self._max_mb = max(probe.memory_mb(h) for h in range(self.n_hosts))
        self.action_space = spaces.Discrete(self.n_hosts)
        self.observation_space = spaces.Box(0.0, 1.0, (4 * self.n_hosts + 2,), np.float32)
        self._sim: Optional[Simulation] = None

    # -- the batch being placed ---------------------------------------------------------------

    def _start_batch(self, ids: List[int]) -> None:
        v = self._sim.view
        self._view = v
        self._queue = list(ids)
        self._plan: List[actions.Action] = []
        f = v.host_array()
        self._util = f[:, 0].copy()
        self._cpu_free = np.array([v.reservable_mips(h) - v.reserved_mips(h) for h in range(self.n_hosts)])
        self._mem_free = np.array([v.reservable_memory_mb(h) - v.reserved_memory_mb(h) for h in range(self.n_hosts)])
        self._cpu_all = np.array([v.reservable_mips(h) for h in range(self.n_hosts)])
        self._mem_all = np.array([v.reservable_memory_mb(h) for h in range(self.n_hosts)])
        self._core = np.array([v.core_mips(h) for h in range(self.n_hosts)])
        self._up = f[:, 3].copy()
        self._usable = np.array([v.power(h) in ("on", "booting", "off") for h in range(self.n_hosts)])
        self._power_w = v.power_w
        self._time = v.now

    def _mask(self, vm: int) -> np.ndarray:
        v = self._view
        return (self._usable
                & (v.vcpu_mips(vm) <= self._core)
                & (v.vm_mips(vm) <= self._cpu_free + 1e-9)
                & (v.vm_memory_mb(vm) <= self._mem_free + 1e-9)).astype(np.int8)

    def _obs(self) -> np.ndarray:
        vm = self._queue[0]
        hosts = np.stack([self._util, 1.0 - self._cpu_free / self._cpu_all,
                          1.0 - self._mem_free / self._mem_all, self._up], axis=1)
        tail = [self._view.vm_mips(vm) / self._max_mips, self._view.vm_memory_mb(vm) / self._max_mb]
        obs = np.concatenate([hosts.reshape(-1), tail])
        return np.clip(obs, 0.0, 1.0).astype(np.float32)

    def _info(self) -> Dict[str, Any]:
        vm = self._queue[0]
        return {"vm": vm, "time": self._time, "action_mask": self._mask(vm)}

    def _advance(self) -> Tuple[float, bool]:
        """Applies the batch's plan and runs to the next placement decision: (E, S, done)."""
        self._sim.apply(self._plan)
        before_w, before_t = self._power_w, self._time
        decision = self._sim.next()
        v = self._sim.view
        energy_kwh = (before_w + v.power_w) / 2.0 * (v.now - before_t) / 3.6e6
        cost = self.energy_weight * energy_kwh + self.sla_weight * v.shortfall
        if decision is None:
            return cost, True
        self._start_batch(decision.ids)
        return cost, False

    # -- the Gymnasium API --------------------------------------------------------------------

    def reset(self, *, seed: Optional[int] = None,
              options: Optional[Dict[str, Any]] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
        """Starts an episode: the scenario from the start, with seed ``seed`` (``None``: its own)."""
        super().reset(seed=seed)
        self._sim = Simulation(self.scenario, seed=seed, control=("place",))
        decision = self._sim.next()
        if decision is None:
            raise ValueError("the scenario places no VM: there is nothing to decide")
        self._start_batch(decision.ids)
        return self._obs(), self._info()

    def step(self, action: Any) -> Tuple[np.ndarray, float, bool, bool, Dict[str, Any]]:
        """Places the current VM on host ``action``; see the module's docstring."""
        if self._sim is None:
            raise RuntimeError("call reset() first")
        host = int(action)
        if not 0 <= host < self.n_hosts:
            raise ValueError(f"action {action!r} is not a host id in 0..{self.n_hosts - 1}")
        vm = self._queue.pop(0)
        reward = 0.0
        if self._mask(vm)[host]:
            self._plan.append(actions.deploy(vm, host))
            self._cpu_free[host] -= self._view.vm_mips(vm)
            self._mem_free[host] -= self._view.vm_memory_mb(vm)
            self._up[host] = 1.0
        else:
            self._plan.append(actions.reject(vm, f"the agent chose host {host}, where it does not fit"))
            reward -= self.reject_penalty
        done = False
        while not done and not self._queue:
            cost, done = self._advance()
            reward -= cost
        if done:
            self._sim.finish()
            obs = np.zeros(self.observation_space.shape, np.float32)
            return obs, float(reward), True, False, {"time": self._time}
        return self._obs(), float(reward), False, False, self._info()
