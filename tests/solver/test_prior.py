import numpy as np
import pytest
from scipy.optimize import minimize

from bioassay_mix.errors import DataError
from bioassay_mix.solver.prior import PRIOR_METHOD, solve_dirichlet


def related_sources(rng, n, k):
    """P of ``k`` proxies that share a latent signal with the labels, as related assays do."""
    z = rng.normal(size=n)
    y = (z + rng.normal(size=n) > 1.5).astype(int)
    p1 = 1 / (1 + np.exp(-(z[:, None] * rng.uniform(0, 1.5, k) + rng.normal(size=(n, k)) - 2)))
    return np.where(y[:, None] == 1, p1, 1 - p1)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("strength", [1.0, 8.0, 128.0])
def test_matches_slsqp_on_the_penalised_objective(seed, strength):
    rng = np.random.default_rng(seed)
    P = related_sources(rng, 60, 7)
    beta = strength * rng.dirichlet(np.ones(7))
    result = solve_dirichlet(P, beta)
    total = len(P) + beta.sum()

    def f(w):
        return -(np.log(P @ w).sum() + beta @ np.log(w)) / total

    ref = minimize(
        f,
        np.full(7, 1 / 7),
        method="SLSQP",
        bounds=[(1e-12, 1)] * 7,
        constraints={"type": "eq", "fun": lambda w: w.sum() - 1},
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    assert result.converged and result.gap <= 1e-6 and result.method == PRIOR_METHOD
    assert result.objective <= ref.fun + 1e-10
    np.testing.assert_allclose(result.weights, ref.x, atol=1e-5)


def test_hundreds_of_sources_certify_in_few_steps_and_every_source_keeps_mass():
    rng = np.random.default_rng(0)
    P = related_sources(rng, 200, 618)
    beta = 8.0 * rng.dirichlet(np.ones(618))
    result = solve_dirichlet(P, beta)
    assert result.converged and result.n_iter <= 40
    assert (result.weights > 0).all() and abs(result.weights.sum() - 1) < 1e-12


def test_a_strong_prior_gives_its_mean_and_a_weak_one_lets_the_data_speak():
    rng = np.random.default_rng(1)
    P = related_sources(rng, 80, 5)
    mean = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    strong = solve_dirichlet(P, 1e8 * mean).weights.to_numpy()
    np.testing.assert_allclose(strong, mean, atol=1e-5)
    weak, some = (solve_dirichlet(P, c * mean).weights.to_numpy() for c in (1.0, 80.0))
    assert np.abs(weak - mean).sum() > np.abs(some - mean).sum() > np.abs(strong - mean).sum()


@pytest.mark.parametrize(
    "P, beta, match",
    [
        (np.full((3, 2), 0.5), [1.0], "one finite pseudo-count > 0 per source"),
        (np.full((3, 2), 0.5), [1.0, 0.0], "one finite pseudo-count > 0 per source"),
        (np.full((3, 2), 0.5), [1.0, np.nan], "one finite pseudo-count > 0 per source"),
        (np.array([[0.5, 1.5]]), [1.0, 1.0], "outside"),
        (np.zeros((0, 2)), [1.0, 1.0], "non-empty 2-D"),
    ],
)
def test_bad_input_is_named(P, beta, match):
    with pytest.raises(DataError, match=match):
        solve_dirichlet(P, beta, name="my target")
