"""Finished targets saved under a run's folder, so an interrupted run resumes. A saved result is
keyed by what it depends on (the science settings, the weights and the panel's content, never a
name), and one that is unreadable or stale is computed again."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from .._files import safe_name, sha256_bytes, write_json_atomic
from ..errors import ModelFileError
from .config import RunConfig
from .proxy_training import load_model, save_model
from .records import TargetOutcome, TargetPlan

logger = logging.getLogger(__name__)


def _model_file(out: Path, target: str) -> Path:
    """Where a target's MixMin-trained model is saved."""
    return out / "models" / f"{safe_name(target)}.ubj"


def _result_file(out: Path, target: str) -> Path:
    return out / "targets" / f"{safe_name(target)}.json"


def _key(
    target: str, weights: pd.Series, weights_plus: pd.Series | None, cfg: RunConfig, data_key: str
) -> dict:
    """What a saved target result depends on: settings, weights and the panel's content (its
    test labels too), never its name."""
    return {
        "config": cfg.key(),
        "target": target,
        "weights": _weights_hash(weights),
        "weights_plus": None if weights_plus is None else _weights_hash(weights_plus),
        "data": data_key,
    }


def _weights_hash(w: pd.Series) -> str:
    return sha256_bytes(np.round(w.to_numpy(), 12).tobytes())


def finished(
    plan: TargetPlan, cfg: RunConfig, out: Path | None, data_key: str
) -> TargetOutcome | None:
    """A previous run's outcome for this target, these weights and this data, if saved intact;
    an unreadable result file counts as missing."""
    done = _saved(plan.target, plan.weights, plan.weights_plus, cfg, out, data_key)
    return None if done is None else TargetOutcome.of(plan, *done)


def is_finished(
    target: str,
    weights: pd.Series,
    weights_plus: pd.Series | None,
    cfg: RunConfig,
    out: Path | None,
    data_key: str,
) -> bool:
    """Whether a result for ``target`` with these weights is saved intact (read, not kept)."""
    return _saved(target, weights, weights_plus, cfg, out, data_key) is not None


def _saved(
    target: str,
    weights: pd.Series,
    weights_plus: pd.Series | None,
    cfg: RunConfig,
    out: Path | None,
    data_key: str,
) -> tuple[dict, xgb.XGBClassifier] | None:
    file = None if out is None else _result_file(out, target)
    if file is None or not file.exists():
        return None
    try:
        done = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        logger.warning("result cache %s is unreadable (%s); computing %s again", file, exc, target)
        return None
    if not isinstance(done, dict) or done.get("key") != _key(
        target, weights, weights_plus, cfg, data_key
    ):
        return None
    try:
        # strict JSON keeps NaN as null: a missing number comes back as NaN
        row = {k: float("nan") if v is None else v for k, v in done["row"].items()}
        return row, load_model(_model_file(out, target))[0]
    except ModelFileError as exc:
        logger.warning("retraining %s: %s", target, exc)
        return None


def save(outcome: TargetOutcome, cfg: RunConfig, out: Path, data_key: str) -> None:
    """Save a target's model (with its weights) and report row, each atomically."""
    target = outcome.row["target"]
    save_model(
        outcome.model,
        _model_file(out, target),
        {
            "target": target,
            "kind": "mixmin_trained",
            "weights": outcome.weights.to_dict(),
            "config_key": cfg.key(),
        },
    )
    write_json_atomic(
        _result_file(out, target),
        {
            "key": _key(target, outcome.weights, outcome.weights_plus, cfg, data_key),
            "row": outcome.row,
        },
    )
