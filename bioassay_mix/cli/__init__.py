"""The bioassay-mix command line: a thin layer over the Python API, one module per verb.

Each verb module gives ``add_parser(subparsers, parents)`` and ``main(args)``; the options
several verbs take (``--quiet``, ``--seed``, ``--device``, ``--n-jobs``) are declared once, in
:func:`~bioassay_mix.cli._args.parents`. Exit codes: 0 success, 2 a usage error (an option's
value, before any work), 1 a failure (bad data, an unreadable file, a full disk).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import BioassayMixError, UsageError
from . import datasets, experiment, fit, library, lm_mix, run, score
from ._args import parents

__all__ = ["build_parser", "main"]

VERBS = (run, experiment, fit, library, score, datasets, lm_mix)


def build_parser() -> argparse.ArgumentParser:
    """The ``bioassay-mix`` parser, every verb on it.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="bioassay-mix",
        description="Find the best mixture of public bioassay data for "
        "training a model of your own assay (MixMin).",
    )
    parser.add_argument("--version", action="version", version=f"bioassay-mix {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    shared = parents()
    for verb in VERBS:
        verb_parser = verb.add_parser(sub, shared)
        if hasattr(verb, "main"):  # a verb with sub-verbs sets theirs
            verb_parser.set_defaults(func=verb.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 success, 2 a usage error, 1 a failure.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"bioassay-mix: error: {exc}", file=sys.stderr)
        return 2
    except BioassayMixError as exc:
        print(f"bioassay-mix: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `bioassay-mix library info LIB | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a full disk, a read-only --out: outputs are written atomically
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"bioassay-mix: error: could not read or write{where}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
