import pandas as pd
import pytest

from bioassay_mix.cli import main


@pytest.mark.slow
def test_run_on_a_user_csv_writes_the_report(tmp_path, tox21, capsys):
    sub = tox21.labels[["NR-AR", "SR-ARE", "SR-MMP"]].reset_index()
    sub.to_csv(tmp_path / "panel.csv", index=False)
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "--panel",
            str(tmp_path / "panel.csv"),
            "--targets",
            "SR-MMP",
            "--out",
            str(out),
            "--n-jobs",
            "2",
            "--quiet",
            "--solver",
            "active_set",
            "--proxy-params",
            '{"n_estimators": 10, "tree_method": "gpu_hist"}',
            "--final-params",
            '{"n_estimators": 10}',
        ]
    )
    assert code == 0
    report = pd.read_csv(out / "report.csv")
    assert report["target"].tolist() == ["SR-MMP"]
    assert pd.read_csv(out / "solver.csv")["gap"].max() <= 1e-6
    assert "MixMin-trained" in capsys.readouterr().out


def test_errors_are_one_line_not_a_traceback(tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("smiles,A\nCCO,maybe\n")
    assert main(["run", "--panel", str(tmp_path / "bad.csv"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "column 'A', row 0" in err and "Traceback" not in err


def test_datasets_command_lists_manifests(capsys):
    assert main(["datasets"]) == 0
    text = capsys.readouterr().out
    assert "toxcast" in text and "pcba" in text and "packaged" in text


@pytest.mark.slow
def test_experiment_writes_tables_and_plots(tmp_path, tox21, capsys):
    sub = tox21.labels[["NR-AR", "SR-ARE", "SR-MMP"]].reset_index()
    sub.to_csv(tmp_path / "panel.csv", index=False)
    out = tmp_path / "exp"
    code = main(
        [
            "experiment",
            "--panel",
            str(tmp_path / "panel.csv"),
            "--targets",
            "SR-MMP",
            "SR-ARE",
            "--seeds",
            "0",
            "1",
            "--random-search",
            "2",
            "--regmix",
            "3",
            "--out",
            str(out),
            "--n-jobs",
            "2",
            "--quiet",
            "--proxy-params",
            '{"n_estimators": 10}',
            "--final-params",
            '{"n_estimators": 10}',
        ]
    )
    assert code == 0
    summary = pd.read_csv(out / "experiment_panel_summary_strict.csv")
    assert "RegMix" in summary["method"].tolist() and summary["n_seeds"].eq(2).all()
    assert (out / "experiment_panel_gain.png").exists()
    assert (out / "runs" / "strict-seed1" / "targets").is_dir()  # resumable per run
    assert "MixMin + target" in capsys.readouterr().out


@pytest.mark.slow
def test_lm_mix_on_real_text_slices(tmp_path, capsys):
    from bioassay_mix.lm import load_text_domain

    domains = tmp_path / "domains"
    domains.mkdir()
    for name in ("fortunes_computing", "scripture_kjv", "legal_licenses", "fortunes_science"):
        (domains / f"{name}.txt").write_text("\n".join(load_text_domain(name)[:600]))
    out = tmp_path / "lm"
    code = main(
        [
            "lm-mix",
            "--domains",
            str(domains),
            "--target",
            str(domains / "fortunes_science.txt"),
            "--random-search",
            "2",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    weights = pd.read_csv(out / "lm_mix_weights.csv").set_index("method")
    assert "fortunes_science" not in weights.columns  # the target is never its own source
    assert weights.index.tolist() == ["natural", "balanced", "random_search", "mixmin"]
    assert "nll_trained" in capsys.readouterr().out

    (tmp_path / "bad.txt").write_bytes(b"ok\n\xff\xfe\n")
    assert (
        main(
            ["lm-mix", "--domains", str(domains), "--target", str(tmp_path / "bad.txt"), "--quiet"]
        )
        == 1
    )
    assert "bad.txt is not UTF-8: byte 3" in capsys.readouterr().err


@pytest.mark.slow
def test_library_build_and_info_offline_from_the_shipped_tox21(tmp_path, capsys):
    out = tmp_path / "lib"
    (tmp_path / "exclude.smi").write_text(
        "CCOc1ccc2nc(S(N)(=O)=O)sc2c1 first\nCCN1C(=O)NC(c2ccccc2)C1=O\n"
    )
    code = main(
        [
            "library",
            "build",
            "--panel",
            "tox21",
            "--out",
            str(out),
            "--quiet",
            "--n-jobs",
            "2",
            "--proxy",
            "logistic",
            "--featurizer",
            "maccs",
            "--exclude",
            str(tmp_path / "exclude.smi"),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exclude.smi", "lib"], (
        "the build's checkpoint is removed once the library is saved"
    )
    assert main(["library", "info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ProxyLibrary(12 sources" in text and "MACCSKeys" in text
    assert "LogisticRegression" in text and "2 compounds excluded" in text


def test_library_build_checks_options_before_any_work(tmp_path, capsys):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    assert main(["library", "build", "--quiet", "--out", str(keep)]) == 1  # a failure
    assert "is not a library" in capsys.readouterr().err
    cases = [  # usage errors, each naming its option
        (
            ["--out", str(tmp_path / "a"), "--proxy-params", '{"max_dept": 3}'],
            "did you mean 'max_depth'",
        ),
        (["--out", str(tmp_path / "a"), "--proxy-params", '{"n_jobs": 2}'], "compute setting"),
        (
            ["--out", str(tmp_path / "a"), "--proxy-params", '{"max_depth": "deep"}'],
            "expect int but value='deep'",
        ),
        (
            ["--out", str(tmp_path / "a"), "--proxy", "logistic", "--proxy-params", '{"Cx": 1}'],
            "Invalid parameter 'Cx'",
        ),
        (["--out", str(tmp_path / "a"), "--featurizer-params", '{"n_bits": -3}'], "n_bits"),
        (
            ["--out", str(tmp_path / "a"), "--featurizer-params", '{"bits": 3}'],
            "has no parameter 'bits'",
        ),
    ]
    for extra, message in cases:
        assert main(["library", "build", "--quiet", *extra]) == 2, extra
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (extra, err)
        assert f"{extra[-2]}:" in err, err
    assert [p.name for p in keep.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "a").exists()


def test_numeric_options_are_checked_by_the_parser(capsys):
    import pytest

    for extra in (["--n-jobs", "0"], ["--seed", "-1"]):
        with pytest.raises(SystemExit):
            main(["library", "build", "--out", "x", *extra])
        assert "must be" in capsys.readouterr().err


def test_usage_errors_exit_2_and_failures_1(tmp_path, capsys):
    # a value an option cannot take is a usage error, named by the option
    code = main(
        [
            "library",
            "build",
            "--panel",
            "bbbp",
            "--out",
            str(tmp_path / "l"),
            "--quiet",
            "--proxy-params",
            '{"n_estimators": 0}',
        ]
    )
    assert code == 2 and "--proxy-params:" in capsys.readouterr().err
    # a file that cannot be used is a failure
    (tmp_path / "t.csv").write_text("smiles,label\nCCO,1\nCCN,1\n")
    code = main(
        ["fit", "--target", str(tmp_path / "t.csv"), "--out", str(tmp_path / "f"), "--quiet"]
    )
    assert code == 1 and "every labelled compound is 1" in capsys.readouterr().err


def test_every_option_has_help():
    import argparse

    from bioassay_mix.cli import build_parser

    missing, rendered = [], {}

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    rendered[" ".join([*path, name])] = sub.format_help()  # a stray % fails
                    walk(sub, [*path, name])
            elif action.option_strings and action.help is None:
                missing.append(f"{' '.join(path)} {action.option_strings[0]}")

    walk(build_parser(), [])
    assert missing == []
    from bioassay_mix.estimator import AUTO_TARGET_ONLY_BELOW

    threshold = f"{AUTO_TARGET_ONLY_BELOW * 100:g}% of them"  # in --target-floor's help
    assert "fit" in rendered and threshold in " ".join(rendered["fit"].split())
    for text in [build_parser().format_help(), *rendered.values()]:
        assert "``" not in text  # no RST markup in --help
