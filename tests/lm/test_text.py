"""Reading text domains: real files, strict UTF-8, empty input."""

from __future__ import annotations

import gzip

import pytest

from bioassay_mix.datasets import load_panel
from bioassay_mix.errors import DataError
from bioassay_mix.lm import (
    load_text_domain,
    read_domain_dir,
    read_sequences,
    split_target,
    text_domains,
)


@pytest.mark.slow
def test_shipped_domains_load_through_their_manifests():
    names = text_domains()
    assert len(names) == 10 and "scripture_kjv" in names
    lines = load_text_domain("legal_licenses")
    assert len(lines) > 3000 and all(s == s.strip() and s for s in lines)
    with pytest.raises(DataError, match="text domain, not an assay panel"):
        load_panel("legal_licenses")


def test_non_utf8_bytes_name_the_file_byte_and_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("first line\ncaf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.txt is not UTF-8: byte 14 .* on line 2"):
        read_sequences(path)


def test_empty_domain_and_domain_folders(tmp_path):
    (tmp_path / "empty.txt").write_text("\n  \n")
    with pytest.raises(DataError, match="holds no text"):
        read_sequences(tmp_path / "empty.txt")
    folder = tmp_path / "domains"
    folder.mkdir()
    with pytest.raises(DataError, match=r"no \.txt"):
        read_domain_dir(folder)
    (folder / "a.txt").write_text("one\n\ntwo\n")
    with gzip.open(folder / "b.txt.gz", "wt") as fh:
        fh.write("three\n")
    assert read_domain_dir(folder) == {"a": ["one", "two"], "b": ["three"]}


def test_split_target_is_seeded_and_disjoint():
    texts = [f"s{i}" for i in range(50)]
    sample, held = split_target(texts, 0.2, random_state=1)
    assert len(sample) == 10 and len(held) == 40 and not set(sample) & set(held)
    assert split_target(texts, 0.2, random_state=1) == (sample, held)
    with pytest.raises(DataError, match="no held-out"):
        split_target(["only one"], 0.5)
