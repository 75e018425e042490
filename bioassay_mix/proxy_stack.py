"""Many binary XGBoost proxies evaluated as one model.

Predicting a target's compounds with thousands of small proxies one call at a time is dominated
by XGBoost's per-call overhead, not by the trees (a proxy of a 46-compound assay has a few
leaves per tree). XGBoost's multi-class model format already evaluates trees that belong to
different outputs in one pass (each tree's output group is its ``tree_info``), so the proxies'
trees are concatenated into one such model, each proxy one output whose base margin is that
proxy's own intercept. Its raw margins, through the logistic function, are each proxy's
``predict_proba(X)[:, 1]`` (equal to float32 rounding, checked in the tests).

No library evaluates many independent boosters in one pass; this only rewrites XGBoost's own
JSON model format, which XGBoost then loads and checks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import xgboost as xgb
from scipy.special import expit, logit

__all__ = ["stack_boosters", "stackable", "stacked_proba"]


def stackable(models: Sequence[Any]) -> bool:
    """Whether ``models`` are fitted binary-logistic ``XGBClassifier`` s of one input width,
    predicting with all their trees (no early-stopping cut), which :func:`stack_boosters` can
    join.

    Parameters
    ----------
    models : sequence of estimator
        The proxies.

    Returns
    -------
    bool
    """
    if not models:
        return False
    widths = set()
    for m in models:
        if type(m) is not xgb.XGBClassifier or getattr(m, "n_classes_", None) != 2:
            return False
        if m.get_params().get("objective") not in (None, "binary:logistic"):
            return False
        booster = m.get_booster()
        if booster.attr("best_iteration") is not None:
            return False
        widths.add(booster.num_features())
    return len(widths) == 1


def stack_boosters(models: Sequence[xgb.XGBClassifier]) -> xgb.Booster:
    """One XGBoost model whose output ``j`` is the margin of ``models[j]``.

    Parameters
    ----------
    models : sequence of xgboost.XGBClassifier
        Fitted binary classifiers for which :func:`stackable` is true.

    Returns
    -------
    xgboost.Booster
        A multi-output model; :func:`stacked_proba` turns its margins into probabilities.
    """
    if not stackable(models):
        raise ValueError("only fitted binary XGBClassifiers of one input width can be stacked")
    trees: list[dict] = []
    groups: list[int] = []
    base = np.empty(len(models))
    learner: dict = {}
    version: Any = None
    for j, model in enumerate(models):
        raw = json.loads(model.get_booster().save_raw("json"))
        learner, version = raw["learner"], raw["version"]
        base[j] = logit(float(json.loads(learner["learner_model_param"]["base_score"])[0]))
        for tree in learner["gradient_booster"]["model"]["trees"]:
            tree["id"] = len(trees)
            trees.append(tree)
            groups.append(j)
    k = str(len(models))
    learner["learner_model_param"].update(
        base_score="[" + ",".join(f"{v:.9E}" for v in base) + "]", num_class=k
    )
    learner["objective"] = {"name": "multi:softprob", "softmax_multiclass_param": {"num_class": k}}
    learner["attributes"] = {}
    booster_model = learner["gradient_booster"]["model"]
    booster_model.update(trees=trees, tree_info=groups, iteration_indptr=[0, len(trees)])
    booster_model["gbtree_model_param"]["num_trees"] = str(len(trees))
    stacked = xgb.Booster()
    stacked.load_model(bytearray(json.dumps({"learner": learner, "version": version}).encode()))
    return stacked


def stacked_proba(stacked: xgb.Booster, X: sp.csr_matrix, *, n_jobs: int = 1) -> np.ndarray:
    """Every stacked proxy's class-1 probability for each row of ``X``.

    Parameters
    ----------
    stacked : xgboost.Booster
        From :func:`stack_boosters`.
    X : scipy.sparse.csr_matrix
        Features, as the proxies were trained on.
    n_jobs : int, default=1
        XGBoost's threads.

    Returns
    -------
    numpy.ndarray of shape (n_rows, n_proxies), float64
    """
    stacked.set_param({"nthread": n_jobs})
    margins = stacked.predict(xgb.DMatrix(X, nthread=n_jobs), output_margin=True)
    return expit(np.asarray(margins, dtype=np.float64).reshape(X.shape[0], -1))
