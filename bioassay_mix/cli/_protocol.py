"""The options and settings that ``run`` and ``experiment`` share: a panel and the paper's
protocol over it."""

from __future__ import annotations

import argparse

from ..datasets import LAYOUTS
from ..executor import EXECUTORS
from ..solver import METHODS as SOLVER_METHODS
from ..splits import STRATEGIES, WEIGHT_ROWS
from ._args import json_params, option, positive


def add_protocol_options(parser: argparse.ArgumentParser) -> None:
    """The panel, its targets and the protocol's settings."""
    panel = parser.add_argument_group("panel")
    panel.add_argument(
        "--panel",
        default="tox21",
        help="dataset name (tox21, toxcast, moleculenet, ...) or a CSV/Parquet "
        "file (default tox21)",
    )
    panel.add_argument(
        "--smiles-column", default="smiles", help="SMILES column of a file panel (default smiles)"
    )
    panel.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="wide",
        help="file panel layout: wide (a column per assay) or long",
    )
    panel.add_argument("--targets", nargs="+", help="target assays (default: every eligible)")
    panel.add_argument(
        "--min-test-positives",
        type=positive,
        default=5,
        help="a target needs this many positives in its test split (default 5)",
    )
    protocol = parser.add_argument_group("protocol")
    protocol.add_argument(
        "--split",
        choices=STRATEGIES,
        default="random",
        help="how compounds are split into proxy-train, valid and test: at "
        "random, or by Bemis-Murcko scaffold (default random)",
    )
    protocol.add_argument(
        "--grid-search",
        action="store_true",
        help="choose proxy hyperparameters by the paper's 5-fold CV grid",
    )
    protocol.add_argument(
        "--weight-rows",
        choices=sorted(WEIGHT_ROWS),
        default="proxy_train",
        help="target rows that MixMin is fitted on (default proxy_train)",
    )
    protocol.add_argument(
        "--proxy-params",
        type=json_params,
        metavar="JSON",
        help="XGBoost parameters for proxies, e.g. '{\"max_depth\": 4}'",
    )
    protocol.add_argument(
        "--final-params",
        type=json_params,
        metavar="JSON",
        help="XGBoost parameters for the final models, as JSON",
    )
    protocol.add_argument(
        "--solver",
        choices=SOLVER_METHODS,
        default="adaptive",
        help="MixMin solver: batched exponentiated gradient, working-set "
        "Newton (both certified to a 1e-6 duality gap) or the paper's "
        "100-step loop (default adaptive)",
    )
    dask = parser.add_argument_group("compute")
    dask.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="dask: proxies and per-target models as Dask tasks (default local)",
    )
    dask.add_argument(
        "--scheduler",
        help="Dask scheduler address (default: start a LocalCluster of --n-jobs workers)",
    )
    dask.add_argument(
        "--dask-fit-rows",
        type=positive,
        default=2_000_000,
        metavar="N",
        help="with --executor dask, a target whose natural mixture has N rows "
        "or more trains its mixture models with xgboost.dask across the cluster",
    )


def run_config(args: argparse.Namespace, **extra):
    """The protocol's :class:`~bioassay_mix.protocol.RunConfig` from the options, checked
    as the API checks it."""
    from ..compute import Compute
    from ..protocol import RunConfig

    compute = Compute(
        device=args.device,
        n_jobs=args.n_jobs,
        executor=args.executor,
        scheduler=args.scheduler,
        dask_fit_rows=args.dask_fit_rows,
        verbose=not args.quiet,
    )
    return option(
        "--proxy-params/--final-params",
        RunConfig,
        split=args.split,
        grid_search=args.grid_search,
        weight_rows=args.weight_rows,
        proxy_params=args.proxy_params or {},
        final_params=args.final_params or {},
        min_test_positives=args.min_test_positives,
        solver=args.solver,
        compute=compute,
        **extra,
    )


def read_panel(args: argparse.Namespace):
    """The panel the options name."""
    from ..datasets import load_panel

    return load_panel(args.panel, smiles_column=args.smiles_column, layout=args.layout)
