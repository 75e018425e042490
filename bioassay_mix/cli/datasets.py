"""``bioassay-mix datasets``: the named datasets, their cache status and licences."""

from __future__ import annotations

import argparse

from ._args import add_verb

HELP = "list datasets, their cache status and licences"


def add_parser(sub, parents: dict[str, argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The verb's parser."""
    return add_verb(sub, "datasets", HELP, parents, "quiet")


def main(args: argparse.Namespace) -> int:
    """Run the verb; 0 on success."""
    from ..datasets import DATA_ENV, data_home, status

    print(f"data cache: {data_home()} (set {DATA_ENV} to change)")
    print(status().to_string(index=False))
    return 0
