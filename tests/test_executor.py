import os
import signal
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from bioassay_mix import Compute, RunConfig, run
from bioassay_mix.errors import BioassayMixError
from bioassay_mix.executor import DaskExecutor, LocalExecutor, make_executor

distributed = pytest.importorskip("distributed")  # the optional extra; installed by [dev]
FAST = {"n_estimators": 30}
TARGETS = ["NR-AR", "SR-MMP"]


def config(**kw):
    return RunConfig(
        proxy_params=FAST,
        final_params=FAST,
        n_bits=1024,
        seed=5,
        mixmin_plus_target=True,
        compute=Compute(n_jobs=2, verbose=False, **kw),
    )


@pytest.fixture(scope="module")
def local_result(tox21):
    return run(tox21, targets=TARGETS, config=config())


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.weights, b.weights, atol=1e-9, rtol=0)
    pd.testing.assert_frame_equal(a.weights_plus_target, b.weights_plus_target, atol=1e-9, rtol=0)
    cols = [c for c in a.report.columns if c.startswith("ap_")]
    np.testing.assert_allclose(a.report[cols].to_numpy(), b.report[cols].to_numpy(), atol=1e-6)


def square(x, *, offset, table, empty):
    return x * x + offset + table["a"] + len(empty)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "dask"])
def test_map_keeps_order_and_passes_shared_inputs(kind):
    shared = {"offset": 1, "table": {"a": 10, "b": 20}, "empty": {}}
    with make_executor(kind, n_jobs=2) as ex:
        assert ex.map(square, list(range(7)), shared=shared, verbose=False) == [
            x * x + 11 for x in range(7)
        ]
        assert ex.map(square, [], shared=shared) == []


@pytest.mark.slow
def test_dask_and_local_give_the_same_weights_and_ap(tox21, local_result, tmp_path):
    res = run(tox21, targets=TARGETS, config=config(executor="dask"), out_dir=tmp_path)
    assert_same(local_result, res)
    # an interrupted or repeated run resumes from the on-disk cache: nothing is retrained
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "proxies").glob("*.ubj")}
    again = run(tox21, targets=TARGETS, config=config(executor="dask"), out_dir=tmp_path)
    assert stamps and {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert_same(local_result, again)


@pytest.mark.slow
def test_large_mixtures_train_with_xgboost_dask(tox21, local_result, monkeypatch):
    from bioassay_mix.protocol import dask_fit

    calls = []
    real = dask_fit.fit_mixture_dask
    monkeypatch.setattr(
        dask_fit, "fit_mixture_dask", lambda *a, **kw: calls.append(1) or real(*a, **kw)
    )
    res = run(tox21, targets=TARGETS, config=config(executor="dask", dask_fit_rows=0))
    # natural, balanced, MixMin-trained and MixMin + target per target
    assert len(calls) == 4 * len(TARGETS)
    assert_same(local_result, res)


@pytest.mark.slow
def test_fit_mixture_dask_matches_one_machine(tox21):
    from bioassay_mix.featurize import MorganFingerprint, fingerprint_partitions, stack
    from bioassay_mix.protocol.baselines import SourceRows, fit_mixture
    from bioassay_mix.protocol.dask_fit import fit_mixture_dask

    fp = MorganFingerprint(n_bits=512).fit()
    labels = tox21.labels.iloc[:, :3]
    rows = {a: np.flatnonzero(labels[a].notna().to_numpy()) for a in labels}
    data = SourceRows(rows, {a: labels[a].to_numpy()[r].astype(np.int32) for a, r in rows.items()})
    weights = pd.Series([0.6, 0.3, 0.1], index=labels.columns)
    with make_executor("dask", n_jobs=2) as ex:  # 3 partitions spread over 2 workers
        parts = fingerprint_partitions(fp, tox21.smiles, ex, partition_size=3000, verbose=False)
        model = fit_mixture_dask(ex.client, parts, data, weights, params=FAST, random_state=3)
        X = ex.client.submit(stack, parts).result()
    local = fit_mixture(X, data, weights, params=FAST, random_state=3)
    np.testing.assert_allclose(model.predict_proba(X), local.predict_proba(X), atol=1e-6)


@pytest.mark.slow
def test_run_survives_a_killed_worker(tox21, local_result):
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    killed = {}

    def kill_one_worker_mid_run():
        with distributed.Client(cluster.scheduler_address) as watcher:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                done = [
                    k
                    for k, t in cluster.scheduler.tasks.items()
                    if "_train_one" in str(k) and t.state == "memory"
                ]
                if len(done) >= 2:
                    pid = next(iter(watcher.run(os.getpid).values()))
                    killed["after"] = len(done)
                    os.kill(pid, signal.SIGKILL)
                    return
                time.sleep(0.01)

    try:
        thread = threading.Thread(target=kill_one_worker_mid_run)
        thread.start()
        res = run(
            tox21,
            targets=TARGETS,
            config=config(executor="dask", scheduler=cluster.scheduler_address),
        )
        thread.join()
    finally:
        cluster.close()
    assert 2 <= killed.get("after", 0) < len(tox21.assays)  # killed while proxies were training
    assert_same(local_result, res)


def test_pauses_the_active_memory_manager_while_open():
    # it drops the shared data's copies, and with them a run's survival of a lost worker
    with (
        distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert client.amm.running()
        with make_executor("dask", scheduler=cluster.scheduler_address) as ex:
            assert not ex.client.amm.running()
        assert client.amm.running()


def test_missing_extra_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(BioassayMixError, match=r"pip install 'bioassay-mix\[dask\]'"):
        DaskExecutor()


def test_bad_executor_settings():
    with pytest.raises(ValueError, match="'executor' parameter of Compute"):
        Compute(executor="spark")
    with pytest.raises(ValueError, match="scheduler is only used with executor='dask'"):
        Compute(scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="only used with executor='dask'"):
        make_executor("local", scheduler="tcp://127.0.0.1:8786")
    assert isinstance(make_executor("local", n_jobs=2), LocalExecutor)
    assert config(executor="dask").key() == config().key()


@pytest.mark.slow
def test_fingerprints_stay_on_the_workers(small_panel):
    from bioassay_mix.protocol import prepare

    cfg = config(executor="dask")
    local = prepare(small_panel, targets=["SR-MMP"], config=config())
    with make_executor("dask", n_jobs=2) as ex:
        prep = prepare(small_panel, targets=["SR-MMP"], config=cfg, executor=ex)
        assert isinstance(prep.X, distributed.Future)  # never gathered here
        time.sleep(2.5)  # past the Active Memory Manager's 2 s interval, were it running
        who = ex.client.who_has([prep.X])[prep.X.key]
        assert len(who) == 2  # copied to every worker for the tasks that need it
        np.testing.assert_allclose(prep.Q.to_numpy(), local.Q.to_numpy(), atol=1e-7)
        assert abs(prep.X.result() - local.X).sum() == 0


@pytest.mark.slow
def test_featurizing_workers_leave_joblib_usable_for_the_user():
    # the engine's own loky executor replaced joblib's: a later cross_val_score(n_jobs=2) died
    # with "'_ReusablePoolExecutor' object has no attribute '_temp_folder_manager'"
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    from bioassay_mix.featurize import MorganFingerprint

    smiles = ["C" * (i % 40 + 1) + "O" * (i // 40) for i in range(5000)]
    X = MorganFingerprint(n_bits=64, n_jobs=2).fit().transform(smiles)
    y = np.arange(len(smiles)) % 2
    scores = cross_val_score(LogisticRegression(max_iter=50), X, y, cv=2, n_jobs=2)
    assert scores.shape == (2,)
    again = MorganFingerprint(n_bits=64, n_jobs=2).fit().transform(smiles)
    assert (again != X).nnz == 0


def test_process_map_yields_in_order_and_reads_ahead_only_a_little():
    from bioassay_mix.executor import IN_FLIGHT, process_map

    pulled = []

    def items():
        for i in range(40):
            pulled.append(i)
            yield (i, 3)

    stream = process_map(pow, items(), n_jobs=2)
    assert next(stream) == 0
    assert len(pulled) <= IN_FLIGHT * 2 + 1
    assert list(stream) == [i**3 for i in range(1, 40)]
