"""Atomic outputs get the permissions an ordinary write would give them, not tempfile's
private 0600/0700 (a bundle written for a team was unreadable to it)."""

from __future__ import annotations

import os
import stat

import pytest

from bioassay_mix._utils import atomic_path, write_dir_atomic


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

    out = write_dir_atomic(tmp_path / "bundle", write, marker="MARK", overwrite=False,
                           what="bundle")
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    assert os.umask(umask) == umask, "the process umask is left as it was"
