"""Building a library: one proxy per assay of one or more panels, resumable from a checkpoint
after a kill, and the default proxy for the sources' sizes."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from .._files import atomic_path, sha256_bytes
from .._utils import progress
from ..chem import parse_many
from ..compute import seeded
from ..errors import DataError, ModelFileError
from ..executor import LocalExecutor
from ..featurize import Featurizer, MorganFingerprint
from ..panel import AssayPanel, compose
from ..persist import load_estimator, save_estimator
from ..proxies import make_classifier, make_estimator
from ._layout import INFO_COLUMNS, check_source_names, estimator_spec

logger = logging.getLogger(__name__)


class BuildMixin:
    """:meth:`build`, for :class:`~bioassay_mix.library.ProxyLibrary`."""

    @classmethod
    def build(
        cls,
        panel: AssayPanel | Sequence[AssayPanel],
        *,
        featurizer: Featurizer | None = None,
        proxy: Any = None,
        exclude: Iterable[str] | None = None,
        assays: Sequence[str] | None = None,
        min_labels: int = 50,
        random_state: int = 0,
        device: str = "auto",
        n_jobs: int | None = 1,
        verbose: bool = True,
        checkpoint: str | os.PathLike | None = None,
    ) -> Self:
        """Train one proxy per assay of ``panel`` (one panel, or several joined on canonical
        SMILES) on all its labelled compounds but ``exclude``.

        Parameters
        ----------
        panel : AssayPanel or sequence of AssayPanel
            The source assays.
        featurizer : Featurizer or None, default=None
            Cloned and fitted; default ``MorganFingerprint()`` (2048 bits, radius 2).
        proxy : classifier or None, default=None
            Cloned once per source; default :func:`default_proxy` of the sources' sizes
            (XGBoost with the paper's fast setting, or logistic regression for a library of
            small assays).
        exclude : iterable of str or None, default=None
            Compounds (SMILES, any spelling) that no proxy may train on: a target's test set.
        assays : sequence of str or None, default=None
            The assays to use (default: all).
        min_labels : int, default=50
            Assays with fewer labelled compounds (after ``exclude``) are skipped, as are
            assays with one class; both are listed in ``skipped``.
        random_state : int, default=0
            Seed of every proxy.
        device : {"auto", "cpu", "cuda"}, default="auto"
            XGBoost's device for the default proxy.
        n_jobs : int or None, default=1
            Proxies trained at once, one thread each.
        verbose : bool, default=True
            Progress bar.
        checkpoint : str or os.PathLike or None, default=None
            A folder where the features and each batch of trained proxies are kept as the
            build goes, so that a build that was killed resumes where it stopped. Its
            contents are keyed by every build input (panels' labels, featurizer, proxy,
            seed, ``min_labels``, ``exclude``): a different build never reuses them. Left in
            place; :func:`remove_checkpoint` removes it once the library is saved.

        Returns
        -------
        ProxyLibrary
        """
        panels = [panel] if isinstance(panel, AssayPanel) else list(panel)
        if not panels:
            raise DataError("ProxyLibrary.build needs at least one panel")
        if min_labels < 2:
            raise DataError(f"min_labels must be >= 2, got {min_labels}")
        datasets = _datasets_of(panels)
        joined = (
            panels[0]
            if len(panels) == 1
            else compose(panels, name="+".join(p.name for p in panels))
        )
        if assays is not None:
            joined = joined.select(list(assays))
        check_source_names(joined.assays)
        featurizer = clone(featurizer if featurizer is not None else MorganFingerprint()).fit()
        if proxy is not None and not hasattr(proxy, "predict_proba"):
            raise DataError(f"proxy {type(proxy).__name__} has no predict_proba")
        excluded = _canonical_set(exclude)
        keep = ~joined.compounds.isin(list(excluded))
        train: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        skipped = []
        for a in joined.assays:
            r, y = joined.positions(a)
            r, y = r[keep[r]], y[keep[r]]
            n_pos = int(y.sum())
            if len(r) < min_labels:
                skipped.append(
                    {
                        "assay": a,
                        "reason": f"{len(r)} labelled compounds (< min_labels={min_labels})",
                    }
                )
            elif n_pos in (0, len(r)):
                skipped.append({"assay": a, "reason": "one class only"})
            else:
                train[a] = (r, y)
        if not train:
            raise DataError(f"no usable source assay in {joined.name!r}: {skipped[:3]}")
        template = (
            proxy
            if proxy is not None
            else default_proxy([len(r) for r, _ in train.values()], device=device)
        )
        used = np.unique(np.concatenate([r for r, _ in train.values()]))
        position = np.full(len(joined.compounds), -1, dtype=np.int64)
        position[used] = np.arange(len(used))
        compounds = joined.compounds[used]
        rows = {a: position[r] for a, (r, _) in train.items()}
        ys = {a: y for a, (_, y) in train.items()}
        build = {
            "panels": {p.name: p.checksum() for p in panels},
            "min_labels": min_labels,
            "random_state": random_state,
            "n_excluded": int((~keep).sum()),
            "proxy": estimator_spec(template),
        }
        store = _Checkpoint(
            checkpoint, {**build, "featurizer": featurizer.spec(), "excluded": sorted(excluded)}
        )
        X = store.features(lambda: featurizer.transform_valid(list(compounds)))
        fitted = store.proxies(
            list(train),
            lambda names: _train_proxies(
                names, template, random_state, n_jobs, X=X, rows=rows, labels=ys
            ),
            verbose=verbose,
        )
        info = pd.DataFrame(
            [
                {
                    "source": a,
                    "dataset": datasets.get(a, joined.name),
                    "n_train": len(rows[a]),
                    "n_positive": int(ys[a].sum()),
                }
                for a in train
            ]
        ).set_index("source")
        titles = {p.name: p.title for p in panels}
        info["title"] = [_title(d, titles) for d in info["dataset"]]
        descriptions = {a: d for p in panels for a, d in p.descriptions.items()}
        info["description"] = [descriptions.get(a, "") for a in info.index]
        info = info[list(INFO_COLUMNS)]
        return cls(
            featurizer=featurizer,
            proxies=dict(zip(train, fitted, strict=True)),
            compounds=compounds,
            X=X,
            rows=rows,
            labels=ys,
            info=info,
            skipped=pd.DataFrame(skipped, columns=["assay", "reason"]),
            build=build,
        )


#: Below this median number of training compounds per source, the default proxy is logistic
#: regression, not XGBoost.
LINEAR_PROXY_MEDIAN = 100


def default_proxy(sizes: Sequence[int], *, device: str = "auto") -> Any:
    """The default proxy for sources of ``sizes`` training compounds: XGBoost with the paper's
    fast setting (100 trees, depth 6, learning rate 0.1), or L2 logistic regression (C=1) when
    the median source has fewer than :data:`LINEAR_PROXY_MEDIAN` compounds, as ChEMBL assays
    do (FS-Mol's median 46). There, on FS-Mol's valid tasks, the logistic proxies' mixture was
    at least as good at every support size and they predict every source in one matrix
    product (``benchmarks/results/fsmol_valid_full/`` against ``fsmol_valid/``);
    MoleculeNet's assays, of thousands of compounds, keep XGBoost.

    Parameters
    ----------
    sizes : sequence of int
        Training compounds per source.
    device : {"auto", "cpu", "cuda"}, default="auto"
        XGBoost's device.

    Returns
    -------
    classifier
        Unfitted.
    """
    if len(sizes) and float(np.median(sizes)) < LINEAR_PROXY_MEDIAN:
        return make_estimator("logistic")
    return make_classifier(device=device, n_jobs=1)


def remove_checkpoint(folder: str | os.PathLike) -> None:
    """Remove what :meth:`ProxyLibrary.build` kept in ``folder`` (its keyed subfolders, and the
    folder once empty); anything else there is left alone.

    Parameters
    ----------
    folder : str or os.PathLike
        The ``checkpoint`` given to :meth:`ProxyLibrary.build`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return
    for sub in folder.iterdir():
        if sub.is_dir() and len(sub.name) == 24 and (sub / "features.npz").exists():
            shutil.rmtree(sub, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


#: Proxies trained between two checkpoints.
CHECKPOINT_BATCH = 250


class _Checkpoint:
    """What a build has done so far, under ``folder/<key of the build inputs>``; with no
    folder, nothing is kept."""

    def __init__(self, folder: str | os.PathLike | None, key: dict[str, Any]):
        digest = sha256_bytes(json.dumps(key, sort_keys=True, default=str).encode())[:24]
        self.folder = Path(folder) / digest if folder is not None else None

    def features(self, compute) -> sp.csr_matrix:
        file = self.folder / "features.npz" if self.folder else None
        if file is not None and file.is_file():
            try:
                return sp.load_npz(file).tocsr()
            except (ValueError, OSError) as exc:
                logger.warning("checkpoint %s is unreadable (%s); featurizing again", file, exc)
        X = sp.csr_matrix(compute(), dtype=np.float32)
        if file is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(file) as tmp:
                sp.save_npz(tmp, X, compressed=False)
        return X

    def proxies(self, names: list[str], train, *, verbose: bool) -> list[Any]:
        done = self._done()
        todo = [n for n in names if n not in done]
        if done:
            logger.info(
                "resuming a library build: %d of %d proxies already trained (%s)",
                len(names) - len(todo),
                len(names),
                self.folder,
            )
        bar = progress(None, desc="proxies", total=len(names), verbose=verbose)
        bar.update(len(names) - len(todo))
        for start in range(0, len(todo), CHECKPOINT_BATCH):
            batch = todo[start : start + CHECKPOINT_BATCH]
            models = train(batch)
            done.update(zip(batch, models, strict=True))
            self._keep(batch, models)
            bar.update(len(batch))
        bar.close()
        return [done[n] for n in names]

    def _done(self) -> dict[str, Any]:
        log = self.folder / "proxies.jsonl" if self.folder else None
        if log is None or not log.is_file():
            return {}
        done = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                done[entry["name"]] = load_estimator(
                    self.folder, entry["model"], recorded_in=str(log)
                )
            except (ValueError, KeyError, TypeError, ModelFileError) as exc:
                # a line cut by the kill, or a model file it did not finish: trained again
                logger.warning("checkpoint %s: an entry is unusable (%s)", log, exc)
        return done

    def _keep(self, names: list[str], models: list[Any]) -> None:
        if self.folder is None:
            return
        (self.folder / "proxies").mkdir(parents=True, exist_ok=True)
        lines = [
            json.dumps(
                {
                    "name": n,
                    "model": save_estimator(
                        m, self.folder, f"proxies/{sha256_bytes(n.encode())[:32]}"
                    ),
                }
            )
            for n, m in zip(names, models, strict=True)
        ]
        with open(self.folder / "proxies.jsonl", "a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))


def _train_proxies(
    names: list[str],
    template: Any,
    random_state: int,
    n_jobs: int | None,
    *,
    X: sp.csr_matrix,
    rows: dict,
    labels: dict,
) -> list[Any]:
    items = [(a, seeded(template, random_state, n_jobs=1)) for a in names]
    with threadpool_limits(limits=1):  # n_jobs proxies at a time, one thread each
        return LocalExecutor(n_jobs).map(
            _fit_proxy, items, shared={"X": X, "rows": rows, "labels": labels}, verbose=False
        )


def _fit_proxy(item: tuple[str, Any], *, X, rows: dict, labels: dict) -> Any:
    name, model = item
    return model.fit(X[rows[name]], labels[name])


def _canonical_set(smiles: Iterable[str] | None) -> set[str]:
    """The canonical SMILES of the compounds to exclude; an exclusion list of which nothing
    parses is an error (it would exclude nothing), some invalid entries a warning."""
    if smiles is None:
        return set()
    given = list(smiles)
    parsed = parse_many(given)
    bad = [(i, p.reason) for i, p in enumerate(parsed) if p.smiles is None]
    if given and len(bad) == len(given):
        raise DataError(
            f"none of the {len(given)} compounds to exclude is a valid SMILES "
            f"(first, at row {bad[0][0]}: {bad[0][1]}); nothing would be excluded"
        )
    if bad:
        logger.warning(
            "%d of %d compounds to exclude are not valid SMILES and exclude nothing "
            "(first, at row %d: %s)",
            len(bad),
            len(given),
            *bad[0],
        )
    return {p.smiles for p in parsed if p.smiles is not None}


def _datasets_of(panels: Sequence[AssayPanel]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in panels:
        for a in p.assays:
            out[a] = p.name if a not in out else f"{out[a]}+{p.name}"
    return out


def _title(dataset: str, titles: dict[str, str]) -> str:
    """The title of the panel named ``dataset``, or of each panel whose name joins it with ``+``."""
    if titles.get(dataset):
        return titles[dataset]
    return "; ".join(titles[d] for d in dataset.split("+") if titles.get(d))
