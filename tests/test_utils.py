"""Atomic outputs get the permissions an ordinary write would give them, not tempfile's
private 0600/0700 (a bundle written for a team was unreadable to it)."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from bioassay_mix._files import atomic_path, write_dir_atomic
from bioassay_mix._utils import t_interval


@pytest.fixture(params=[0o022, 0o027])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_atomic_files_and_folders_follow_the_umask(tmp_path, umask):
    with atomic_path(tmp_path / "report.md") as tmp:
        tmp.write_text("x")
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == 0o666 & ~umask

    def write(folder):
        (folder / "MARK").write_text("")

    out = write_dir_atomic(
        tmp_path / "bundle", write, marker="MARK", overwrite=False, what="bundle"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    assert os.umask(umask) == umask, "the process umask is left as it was"


def test_t_interval_is_clipped_to_the_metrics_range():
    # five fold APs 0.78-0.98: mean 0.9, sd 0.0849, t(0.975, 4) = 2.776 -> 0.795 to 1.005
    mean, low, high = t_interval([0.78, 0.86, 0.9, 0.98, 0.98], bounds=(0.0, 1.0))
    assert np.isclose(mean, 0.9) and np.isclose(low, 0.9 - 2.776445 * 0.084853 / np.sqrt(5))
    assert high == 1.0
    assert t_interval([0.78, 0.86, 0.9, 0.98, 0.98], bounds=(0.0, 2.0))[2] > 1.0
    mean, low, high = t_interval([0.4])
    assert mean == 0.4 and np.isnan(low) and np.isnan(high)
