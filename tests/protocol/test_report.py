import json

import pandas as pd
import pytest

from bioassay_mix.protocol.report import ap_table, write_report
from bioassay_mix.report import markdown_table


@pytest.mark.slow
def test_write_report_writes_every_file_atomically(tmp_path, small_panel):
    from bioassay_mix import Compute, RunConfig, run

    res = run(
        small_panel,
        targets=["SR-ARE"],
        config=RunConfig(
            n_bits=512,
            proxy_params={"n_estimators": 10},
            final_params={"n_estimators": 10},
            compute=Compute(verbose=False),
        ),
    )
    files = write_report(res, tmp_path)
    for path in files.values():
        assert path.exists() and path.stat().st_size > 0
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left behind
    md = files["report_md"].read_text()
    for label in ("target only", "natural", "balanced", "MixMin ensemble", "MixMin-trained"):
        assert label in md
    # a newcomer reads where mixing pays, with the target's own label count
    n_train = int(res.report["n_train"].median())
    assert f"trains on its own {n_train:,} labelled compounds (median)" in md
    assert files["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = json.loads(files["metadata"].read_text())
    assert meta["config"]["seed"] == 0 and "xgboost" in meta and meta["timings_s"]
    pd.testing.assert_frame_equal(pd.read_parquet(files["report_parquet"]), res.report)


def test_markdown_table_and_mean_row():
    rep = pd.DataFrame(
        {
            "target": ["a", "b"],
            **{
                f"ap_{m}": [0.2, 0.4]
                for m in ("target_only", "natural", "balanced", "mixmin_ensemble", "mixmin_trained")
            },
        }
    )
    table = ap_table(rep)
    assert table.iloc[-1]["target"] == "mean" and table.iloc[-1]["natural"] == 0.30000000000000004
    md = markdown_table(table)
    assert md.splitlines()[1] == "|---|---|---|---|---|---|"
    assert "| mean | 0.300 |" in md
