"""RunConfig holds the science, Compute the context: only the science is in a cache key, and
every field is checked, by name, before any work."""

from dataclasses import asdict

import pytest

from bioassay_mix.compute import Compute
from bioassay_mix.errors import DataError
from bioassay_mix.protocol import RunConfig


def test_only_the_science_is_in_the_key():
    base = RunConfig(seed=4)
    assert (
        RunConfig(seed=4, compute=Compute(n_jobs=2, device="cpu", verbose=False)).key()
        == base.key()
    )
    assert RunConfig(seed=4, prune=1e-3).key() != base.key()
    assert "compute" not in base.science() and "n_jobs" not in base.science()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"seed": -1}, "seed"),
        ({"split": "cluster"}, "split"),
        ({"leakage": "none"}, "leakage"),
        ({"weight_rows": "test"}, "weight_rows"),
        ({"test_size": 1.5}, "test_size"),
        ({"solver": "newton"}, "solver"),
        ({"oof_folds": 1}, "oof_folds"),
        ({"tol": 0}, "tol"),
        ({"mixmin_plus_target": "yes"}, "mixmin_plus_target"),
    ],
)
def test_a_bad_science_setting_is_named(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of RunConfig"):
        RunConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"device": "tpu"}, "device"),
        ({"executor": "spark"}, "executor"),
        ({"dask_fit_rows": -1}, "dask_fit_rows"),
        ({"verbose": "loud"}, "verbose"),
    ],
)
def test_a_bad_compute_setting_is_named(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of Compute"):
        Compute(**kwargs)


def test_zero_jobs_is_refused():
    with pytest.raises(ValueError, match="n_jobs must be a non-zero integer"):
        Compute(n_jobs=0)


def test_compute_must_be_a_compute():
    with pytest.raises(TypeError, match="compute must be a Compute"):
        RunConfig(compute={"n_jobs": 2})


def test_an_unknown_xgboost_parameter_names_its_role():
    with pytest.raises(DataError, match=r"final_params: .*max_dept"):
        RunConfig(final_params={"max_dept": 3})


def test_from_dict_inverts_asdict():
    cfg = RunConfig(seed=2, proxy_params={"max_depth": 3}, compute=Compute(n_jobs=2, verbose=False))
    again = RunConfig.from_dict(asdict(cfg))
    assert again == cfg and again.key() == cfg.key()
