"""What the verbs share: argument types that check a value as the API would, the parent parsers
of the options several verbs take (declared once, here), and the wrapping of an API refusal
into a usage error that names the option."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from ..device import DEVICES
from ..errors import DataError, UsageError
from ..proxies import ESTIMATORS


def integer(text: str) -> int:
    """An integer, or a usage error quoting ``text``."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def at_least(low: int) -> Callable[[str], int]:
    """An argument type: an integer of at least ``low``."""

    def check(text: str) -> int:
        value = integer(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    return check


non_negative = at_least(0)
positive = at_least(1)


def seed(text: str) -> int:
    """A seed: 0 to 2**32 - 1 (NumPy's and XGBoost's seeds are 32-bit)."""
    value = non_negative(text)
    if value > 2**32 - 1:
        raise argparse.ArgumentTypeError(f"must be at most 2**32 - 1, got {value}")
    return value


def n_jobs(text: str) -> int:
    """A non-zero number of workers, -1 for every core."""
    value = integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a non-zero integer (-1: all cores)")
    return value


def auto_or(allowed: Callable[[float], bool], rule: str) -> Callable[[str], float | str]:
    """An argument type: ``auto`` or a number for which ``allowed`` holds (``rule`` says
    which, in the error)."""

    def check(text: str) -> float | str:
        if text == "auto":
            return text
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number or auto, got {text!r}") from None
        if not allowed(value):
            raise argparse.ArgumentTypeError(f"must be {rule} or auto, got {text}")
        return value

    return check


#: ``auto``, 0 (plain MixMin) or a finite number of pseudo-compounds >= 1.
natural_prior = auto_or(
    lambda v: v == 0 or 1 <= v < float("inf"), "0 (plain MixMin), a finite number >= 1"
)
#: ``auto`` or a finite number >= 0: the least weight of the target's rows, in largest sources.
target_floor = auto_or(lambda v: 0 <= v < float("inf"), "a finite number >= 0")


def json_params(text: str | None) -> dict:
    """A JSON object of parameter names and values."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            "expected a JSON object of parameter names and values, "
            f'such as {{"max_depth": 4}}, got {text!r}'
        )
    return value


def parents() -> dict[str, argparse.ArgumentParser]:
    """The parent parsers of the options several verbs share, by name: ``quiet``, ``seed``,
    ``device`` and ``jobs`` (each verb takes the ones it uses)."""
    made = {
        name: argparse.ArgumentParser(add_help=False)
        for name in ("quiet", "seed", "device", "jobs")
    }
    made["quiet"].add_argument(
        "--quiet", action="store_true", help="no progress bars, warnings only"
    )
    made["seed"].add_argument(
        "--seed", type=seed, default=0, help="seed of every random step (0 to 2**32 - 1, default 0)"
    )
    compute = made["device"].add_argument_group("compute")
    compute.add_argument(
        "--device",
        default="auto",
        choices=DEVICES,
        help="where XGBoost runs: auto (CUDA when present), cpu or cuda",
    )
    made["jobs"].add_argument_group("compute").add_argument(
        "--n-jobs",
        type=n_jobs,
        default=-1,
        help="worker processes or threads (-1: all cores, the default)",
    )
    return made


def add_verb(
    sub: Any, name: str, text: str, parents: dict[str, argparse.ArgumentParser], *uses: str
) -> argparse.ArgumentParser:
    """The parser of verb ``name`` on ``sub``, ``text`` its help and description, with the
    shared options ``uses`` names (keys of :func:`parents`).

    Parameters
    ----------
    sub : argparse._SubParsersAction
        Where verbs are added.
    name : str
        The verb.
    text : str
        One line of what it does.
    parents : dict of str to argparse.ArgumentParser
        :func:`parents`.
    *uses : str
        The shared options the verb takes.

    Returns
    -------
    argparse.ArgumentParser
    """
    return sub.add_parser(name, help=text, description=text, parents=[parents[u] for u in uses])


def model_options(
    parser: argparse.ArgumentParser,
    role: str,
    default: str | None = "xgboost",
    default_text: str = "XGBoost, 100 trees, depth 6",
    *,
    option: str | None = None,
    aliases: tuple[str, ...] = (),
) -> None:
    """``--OPTION`` (an estimator name; default ``--ROLE``) and ``--ROLE-params`` (its
    parameters as JSON); ``aliases`` are older spellings of the two, in that order."""
    group = parser.add_argument_group(f"{role} model")
    group.add_argument(
        f"--{option or role}",
        *aliases[:1],
        dest=role,
        choices=sorted(ESTIMATORS),
        default=default,
        help=f"the {role} model (default: {default_text})",
    )
    group.add_argument(
        f"--{role}-params",
        *aliases[1:],
        dest=f"{role}_params",
        type=json_params,
        metavar="JSON",
        help=f"{role} model parameters in the estimator's own names, as JSON",
    )


def option(names: str, build: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``build(*args, **kwargs)``, its refusal of an option's value a usage error naming it."""
    try:
        return build(*args, **kwargs)
    except DataError as exc:
        raise UsageError(f"{names}: {exc}") from exc
