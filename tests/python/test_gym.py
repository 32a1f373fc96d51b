"""orrery.gym.PlacementEnv passes Gymnasium's checker and is deterministic under a seed."""

import numpy as np
from gymnasium.utils.env_checker import check_env

from orrery.gym import PlacementEnv  # noqa: E402
from _orrery_cli import TINY  # noqa: E402


def test_check_env():
    check_env(PlacementEnv(TINY), skip_render_check=True)


def episode(env, seed, choose):
    obs, info = env.reset(seed=seed)
    trace, done = [obs], False
    while not done:
        obs, reward, done, truncated, info = env.step(choose(obs, info))
        trace += [obs, reward]
    return trace


def test_same_seed_same_actions_same_episode():
    env = PlacementEnv(TINY)
    assert env.action_space.n == 4 and env.observation_space.shape == (18,)
    rng = np.random.default_rng(0)
    actions = list(rng.integers(0, 4, size=1000))

    def replay():
        it = iter(actions)
        return lambda obs, info: next(it)

    a, b = episode(env, 5, replay()), episode(env, 5, replay())
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    rewards = a[2::2]
    assert all(r <= 0 for r in rewards) and any(r < 0 for r in rewards)


def test_feasible_choices_are_never_rejected():
    env = PlacementEnv(TINY, reject_penalty=100.0)
    trace = episode(env, 1, lambda obs, info: int(np.argmax(info["action_mask"])))
    assert all(r > -100 for r in trace[2::2])  # first feasible host: never rejected
