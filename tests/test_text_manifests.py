from pathlib import Path

import pytest

from bioassay_mix._files import sha256_file
from bioassay_mix.datasets import Manifest, manifest_dir


@pytest.mark.slow
def test_every_text_domain_is_described_and_matches_its_file(data_dir):
    found = {
        m.file: m
        for m in (
            Manifest.from_toml(p) for p in sorted(Path(manifest_dir(), "text").glob("*.toml"))
        )
    }
    files = sorted(p for p in (data_dir / "text").glob("*.txt.gz"))
    assert len(files) == 10
    for path in files:
        m = found[path.name]
        assert m.folder == "text" and m.licence and m.citation.startswith("Debian 12")
        assert sha256_file(path) == m.sha256
