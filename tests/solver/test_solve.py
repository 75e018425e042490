import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import logsumexp

from bioassay_mix.errors import DataError
from bioassay_mix.solver import active_set, solve

CERTIFIED = ["adaptive", "active_set"]  # the methods that stop on the duality gap


def slsqp(f, k):
    cons = ({"type": "eq", "fun": lambda w: w.sum() - 1.0},)
    out = minimize(
        f,
        np.full(k, 1.0 / k),
        method="SLSQP",
        bounds=[(0, 1)] * k,
        constraints=cons,
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    return out.fun


def random_probs(rng, n, k):
    P = rng.uniform(0.02, 1.0, (n, k))
    P[:, 0] = np.minimum(1.0, P[:, 0] * 1.4)
    return P


@pytest.mark.parametrize("method", CERTIFIED)
@pytest.mark.parametrize("seed", range(4))
def test_cross_entropy_matches_slsqp(seed, method):
    rng = np.random.default_rng(seed)
    P = random_probs(rng, 300, 7)
    res = solve(P, method=method)
    ref = slsqp(lambda w: -np.mean(np.log(P @ w)), 7)
    assert res.converged and res.gap <= 1e-6
    assert res.objective <= ref + 1e-6
    assert abs(res.objective - ref) < 1e-6


@pytest.mark.slow
def test_real_tox21_proxy_matrix_matches_slsqp(small_panel):
    from bioassay_mix.featurize import MorganFingerprint
    from bioassay_mix.mixture import observed_label_proba
    from bioassay_mix.protocol.proxy_training import train_proxies
    from bioassay_mix.splits import PROXY_TRAIN, make_splits, rows

    X = MorganFingerprint(n_bits=1024).fit().transform_valid(small_panel.smiles)
    codes = make_splits(small_panel)
    srcs = ["NR-AR-LBD", "NR-AhR", "SR-ARE", "SR-MMP"]
    ps = train_proxies(
        X,
        small_panel.labels,
        {a: rows(codes, a, PROXY_TRAIN) for a in srcs},
        params={"n_estimators": 30},
    )
    r = rows(codes, "NR-AR", PROXY_TRAIN)
    P = observed_label_proba(ps.predict_matrix(X[r]), small_panel.labels["NR-AR"].to_numpy()[r])
    best = slsqp(lambda w: -np.mean(np.log(P @ w)), 4)
    for method in CERTIFIED:
        assert abs(solve(P, method=method).objective - best) < 1e-6


def test_squared_error_and_log_likelihood_match_slsqp():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(200, 5))
    y = F @ np.array([0.6, 0.4, 0, 0, 0]) + 0.3 * rng.normal(size=200)
    res = solve(F, loss="squared_error", y=y)
    assert abs(res.objective - slsqp(lambda w: np.mean((F @ w - y) ** 2), 5)) < 1e-6
    LL = rng.normal(-400, 30, (80, 4))
    lens = rng.integers(50, 200, 80)

    def nll(w):
        return -np.mean(logsumexp(LL, axis=1, b=np.maximum(w, 1e-300)) / lens)

    best = slsqp(nll, 4)
    for method in CERTIFIED:
        res = solve(LL, loss="log_likelihood", lengths=lens, method=method)
        assert abs(res.objective - best) < 1e-6
        # exp(-400) underflows: only a log-space solver can evaluate this objective at all
        assert np.isfinite(res.objective)


def test_batch_of_ragged_targets_equals_one_by_one():
    rng = np.random.default_rng(2)
    Ps = [random_probs(rng, int(rng.integers(1, 400)), int(rng.integers(1, 12))) for _ in range(15)]
    batch = solve(Ps, names=[f"t{i}" for i in range(15)])
    for P, b in zip(Ps, batch, strict=True):
        one = solve(P)
        assert len(b.weights) == P.shape[1]
        assert abs(one.objective - b.objective) < 1e-9


def test_reference_mode_is_the_papers_loop_and_certifies_less():
    P = random_probs(np.random.default_rng(3), 500, 10)
    ref = solve(P, method="reference")
    ours = solve(P)
    assert ref.n_iter == 100 and not ref.converged  # max|grad| < 1e-4 never holds here
    assert ours.objective <= ref.objective + 1e-12
    assert ref.gap > 10 * ours.gap


def test_float32_agrees_with_float64():
    P = random_probs(np.random.default_rng(4), 1000, 20)
    a, b = solve(P), solve(P, dtype="float32")
    assert b.converged and b.gap <= 1e-4
    assert abs(a.objective - b.objective) < 1e-4


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 60), st.integers(1, 40), st.integers(0, 2**31 - 1), st.sampled_from(CERTIFIED)
)
def test_properties(n, k, seed, method):
    rng = np.random.default_rng(seed)
    P = rng.uniform(0.0, 1.0, (n, k))
    res = solve(P, method=method)
    w = res.weights.to_numpy()
    assert np.all(w >= 0) and abs(w.sum() - 1) < 1e-12
    uniform = -np.mean(np.log(np.maximum(P, 1e-12) @ np.full(k, 1 / k)))
    assert res.objective <= uniform + 1e-12
    perm = rng.permutation(k)
    assert abs(solve(P[:, perm], method=method).objective - res.objective) < 2e-6


@pytest.mark.parametrize("method", CERTIFIED)
def test_perfect_source_takes_all_mass_and_duplicates_split_it(method):
    rng = np.random.default_rng(5)
    P = rng.uniform(0.1, 0.9, (100, 4))
    P[:, 2] = 1.0
    assert solve(P, method=method).weights.iloc[2] > 1 - 1e-6
    Q = random_probs(rng, 200, 3)
    dup = np.column_stack([Q, Q[:, 0]])
    a, b = solve(Q, method=method), solve(dup, method=method)
    assert abs(a.objective - b.objective) < 1e-6
    assert abs(b.weights.iloc[0] + b.weights.iloc[3] - a.weights.iloc[0]) < 1e-3


def test_dataframe_weights_keep_source_names():
    P = pd.DataFrame(random_probs(np.random.default_rng(6), 50, 3), columns=["a", "b", "c"])
    assert list(solve(P).weights.index) == ["a", "b", "c"]


@pytest.mark.parametrize("method", CERTIFIED)
def test_edge_cases_have_documented_results(method):
    k1 = solve(np.full((10, 1), 0.3), method=method)
    assert k1.weights.tolist() == [1.0] and k1.gap == 0 and k1.converged
    n1 = solve(np.array([[0.2, 0.9, 0.5]]), method=method)
    assert n1.weights.iloc[1] > 1 - 1e-6
    zeros = solve(np.array([[0.0, 0.5], [0.0, 0.5]]), method=method)  # 0 is clipped to eps
    assert np.isfinite(zeros.objective) and zeros.weights.iloc[1] > 1 - 1e-6


def test_active_set_grows_its_working_set_to_the_optimum():
    # 300 sources; the one that explains the data looks no better than average at the uniform
    # mixture's gradient ranking, so it enters only when the full gradient asks for it
    rng = np.random.default_rng(8)
    P = rng.uniform(0.3, 0.7, (400, 300))
    P[:200, 123], P[200:, 123] = 0.95, 0.2
    P[:, 7] = np.where(np.arange(400) < 200, 0.2, 0.95)
    a, b = solve(P), solve(P, method="active_set")
    assert b.converged and b.gap <= 1e-6 and abs(a.objective - b.objective) < 1e-6
    assert b.weights.iloc[[7, 123]].sum() > 0.99


def test_active_set_covers_rows_only_some_sources_can_explain():
    # log-likelihood -inf under all but one source for some sequences: the working set must
    # include that source or the objective is infinite
    rng = np.random.default_rng(9)
    LL = rng.normal(-50, 5, (60, 40))
    LL[:5, :] = -np.inf
    LL[:5, 39] = -60.0
    res = solve(LL, loss="log_likelihood", method="active_set")
    assert res.converged and np.isfinite(res.objective) and res.weights.iloc[39] > 0
    assert abs(res.objective - solve(LL, loss="log_likelihood").objective) < 1e-6


def sampled_rows_problem():
    # 20,000 rows (over twice SAMPLE_ROWS, so the Hessian is sampled every 4th row); 300 rows
    # off the sample only source 5 explains, so the sampled Hessian misses their curvature
    rng = np.random.default_rng(3)
    P = rng.uniform(0.2, 0.8, (20000, 40))
    P[:, 3] = np.clip(P[:, 3] + 0.15, 0, 1)
    hard = np.arange(1, 20000, 4)[:300]
    P[hard] = 1e-7
    P[hard, 5] = 0.9
    return P


def test_active_set_on_many_rows_samples_the_hessian_and_still_certifies(monkeypatch):
    hessian_rows, newton = [], active_set._newton

    def spy(A, a, x, tol, rows):
        hessian_rows.append(rows)
        return newton(A, a, x, tol, rows)

    monkeypatch.setattr(active_set, "_newton", spy)
    P = sampled_rows_problem()
    res = solve(P, method="active_set")
    assert slice(0, 20000, 4) in hessian_rows
    assert res.converged and res.gap <= 1e-6
    assert res.weights.iloc[5] > 0.05  # the rows the sample misses still count
    exact = solve(P)  # adaptive: every row in every step
    assert res.objective <= exact.objective + 1e-9


@pytest.mark.parametrize("steps", [0, 1])
def test_active_set_falls_back_to_the_exact_hessian(monkeypatch, steps):
    # 0 sampled steps: every step is exact; 1: the switch happens inside a solve
    monkeypatch.setattr(active_set, "SAMPLED_STEPS", steps)
    res = solve(sampled_rows_problem(), method="active_set")
    assert res.converged and res.gap <= 1e-6


def test_working_set_resolves_exactly_when_a_sampled_solve_leaves_a_gap():
    # no source outside the working set violates optimality, yet the gap is open: the inner
    # solve was inexact, so the target is not finished and its next solve is exact
    state = active_set.WorkingSet(
        np.array([0, 1]), np.full((20000, 2), 0.5), np.full(20000, 1 / 20000), 0.0, 3
    )
    assert state.hessian_rows == slice(0, 20000, 4)
    state.x, state.w = np.array([0.9, 0.1]), np.array([0.9, 0.1, 0.0])
    g = np.array([-1.0, -1.1, 0.0])  # gap 0.01 on the working set, source 2 not wanted
    assert not state.finished(g, 1e-6, lambda add: pytest.fail("nothing to add"))
    assert state.hessian_rows == slice(None)
    assert state.finished(g, 1e-6, lambda add: pytest.fail("nothing to add"))


def test_active_set_refuses_what_it_does_not_solve():
    with pytest.raises(ValueError, match="squared_error"):
        solve(np.ones((3, 2)), loss="squared_error", y=np.ones(3), method="active_set")
    with pytest.raises(ValueError, match="runs on the CPU"):
        solve(np.full((3, 2), 0.5), method="active_set", device="cuda")


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.array([[0.5, np.nan]]), "row 0, source 1"),
        (np.array([[0.5, np.inf]]), "row 0, source 1"),
        (np.array([[0.5, -0.1]]), "outside"),
        (np.zeros((0, 3)), "at least one row"),
        (np.ones(3), "2-D"),
    ],
)
@pytest.mark.parametrize("method", ["adaptive", "reference", "active_set"])
def test_bad_input_names_target_row_and_source(bad, match, method):
    with pytest.raises(DataError, match=match):
        solve([np.full((3, 2), 0.5), bad], names=["ok", "broken"], method=method)
    with pytest.raises(DataError, match="broken"):
        solve([np.full((3, 2), 0.5), bad], names=["ok", "broken"], method=method)


@pytest.mark.parametrize("order", ["C", "F"])
def test_active_set_checks_every_row_of_a_sampled_matrix(order):
    # the first working set comes from a sample of the rows; the check still reads them all
    P = sampled_rows_problem()
    P[10001, 7] = np.nan  # off the sample (every 4th row)
    with pytest.raises(DataError, match="row 10001, source 7"):
        solve(np.asarray(P, order=order), method="active_set")
    P[10001, 7] = 1.5
    with pytest.raises(DataError, match=r"1\.5 at row 10001, source 7 is outside"):
        solve(np.asarray(P, order=order), method="active_set")


def test_active_set_is_the_same_on_either_memory_order():
    P = sampled_rows_problem()
    P[::7, 11] = 0.0  # clipped at eps in the first read
    c, f = solve(P, method="active_set"), solve(np.asfortranarray(P), method="active_set")
    assert c.converged and f.converged
    assert abs(c.objective - f.objective) < 1e-12
    np.testing.assert_allclose(c.weights, f.weights, atol=1e-9)


@pytest.mark.parametrize("order", ["C", "F"])
def test_working_sets_are_fortran_ordered_columns(order):
    # the Newton steps' products with the working set assume column-major storage
    rng = np.random.default_rng(12)
    A = np.asarray(rng.uniform(0.1, 0.9, (70000, 9)), order=order)  # several row blocks
    A[50000, 4] = 0.0
    work, lo, hi = active_set._gather_with_bounds(A, np.array([4, 2]))
    assert work.flags.f_contiguous and np.array_equal(work, A[:, [4, 2]])
    assert (lo, hi) == (0.0, A.max())
    joined = active_set._join(work, A[:, [8]])
    assert joined.flags.f_contiguous and np.array_equal(joined, A[:, [4, 2, 8]])
    A[60000, 1] = np.nan
    assert np.isnan(active_set._gather_with_bounds(A, np.array([0]))[1])


@pytest.mark.parametrize("stream_bytes", [0, 2**60])
def test_certificate_gradient_either_way_it_reads_the_matrix(monkeypatch, stream_bytes):
    monkeypatch.setattr(active_set, "STREAM_BYTES", stream_bytes)
    rng = np.random.default_rng(11)
    A, a = rng.uniform(0.1, 1.0, (3000, 30)), rng.uniform(0.0, 1.0, 3000)
    pred = A @ rng.dirichlet(np.ones(30))
    expected = -np.array([np.sum(a / pred * A[:, j]) for j in range(30)])
    for M in (A, np.asfortranarray(A)):
        np.testing.assert_allclose(active_set._gradient(M, a, pred), expected, rtol=1e-12)


def test_batch_shape_mismatches_are_named():
    with pytest.raises(DataError, match="y has 3 entries for a batch of 2"):
        solve([np.ones((3, 2)), np.ones((4, 2))], loss="squared_error", y=[1, 2, 3])
    with pytest.raises(DataError, match="t1: y has 3 values but the matrix has 4 rows"):
        solve(
            [np.ones((3, 2)), np.ones((4, 2))],
            loss="squared_error",
            y=[np.ones(3), np.ones(3)],
            names=["t0", "t1"],
        )
    with pytest.raises(DataError, match="-inf under every source"):
        solve(np.array([[-np.inf, -np.inf], [-1.0, -2.0]]), loss="log_likelihood")
