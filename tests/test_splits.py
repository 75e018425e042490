import numpy as np
import pytest

from bioassay_mix.chem import parse_smiles, scaffold
from bioassay_mix.splits import PROXY_TRAIN, TEST, UNLABELLED, VALID, make_splits


def test_strict_mode_keeps_every_test_compound_out_of_all_training_rows(tox21):
    codes = make_splits(tox21, random_state=3).to_numpy()
    test_any = (codes == TEST).any(axis=1)
    train_any = np.isin(codes, (PROXY_TRAIN, VALID)).any(axis=1)
    assert not (test_any & train_any).any()
    assert ((codes == UNLABELLED) == tox21.labels.isna().to_numpy()).all()


def test_paper_mode_is_stratified_per_assay_and_leaks(tox21):
    codes = make_splits(tox21, leakage="paper", random_state=0)
    for assay in tox21.assays:
        c = codes[assay].to_numpy()
        y = tox21.labels[assay].to_numpy()
        lab = c != UNLABELLED
        assert abs((c[lab] == TEST).mean() - 0.2) < 0.01
        pos_rate_test = y[c == TEST].mean()
        assert abs(pos_rate_test - np.nanmean(y)) < 0.01
    test_any = (codes.to_numpy() == TEST).any(axis=1)
    train_any = (codes.to_numpy() == PROXY_TRAIN).any(axis=1)
    assert (test_any & train_any).sum() > 100  # what strict mode prevents


@pytest.mark.slow
def test_scaffold_split_holds_out_whole_scaffolds(small_panel):
    codes = make_splits(small_panel, strategy="scaffold", random_state=1)
    scaf = np.array([scaffold(parse_smiles(s).mol) for s in small_panel.smiles])
    c = codes.to_numpy().max(axis=1)
    assert not set(scaf[c == TEST]) & set(scaf[np.isin(c, (PROXY_TRAIN, VALID))])
    assert 0.1 < (c == TEST).mean() < 0.3


def test_same_seed_same_split_other_seed_differs(small_panel):
    a = make_splits(small_panel, random_state=5)
    b = make_splits(small_panel, random_state=5)
    c = make_splits(small_panel, random_state=6)
    assert a.equals(b) and not a.equals(c)


@pytest.mark.parametrize("kw", [{"leakage": "none"}, {"strategy": "time"}, {"test_size": 1.0}])
def test_bad_options_are_refused(small_panel, kw):
    with pytest.raises(ValueError):
        make_splits(small_panel, **kw)
