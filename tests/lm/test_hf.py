"""The Hugging Face adapter on a tiny GPT-2 built from a config and trained inside the test."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the optional 'lm' extra is not installed")
transformers = pytest.importorskip("transformers")

from bioassay_mix.errors import DataError  # noqa: E402
from bioassay_mix.lm import load_text_domain  # noqa: E402
from bioassay_mix.lm.hf import HFCausalLM  # noqa: E402


@pytest.fixture(scope="module")
def texts():
    return {
        "legal": load_text_domain("legal_licenses")[:400],
        "scripture": load_text_domain("scripture_kjv")[:400],
    }


@pytest.fixture(scope="module")
def tiny(texts):
    """A word-level tokenizer and a 2-layer GPT-2 trained for 60 steps on the legal texts."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        texts["legal"] + texts["scripture"],
        trainers.WordLevelTrainer(
            special_tokens=["<unk>", "<pad>", "<s>", "</s>"], min_frequency=2
        ),
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
    )
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=tok.get_vocab_size(),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=2,
        eos_token_id=3,
    )
    model = transformers.GPT2LMHeadModel(config)
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    batch = tokenizer(
        texts["legal"][:64], padding=True, truncation=True, max_length=48, return_tensors="pt"
    )
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    model.train()
    for _ in range(60):
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optim.step()
        optim.zero_grad()
    return model.eval(), tokenizer


@pytest.mark.slow
def test_batched_padded_scores_equal_one_at_a_time_and_a_direct_computation(tiny, texts):
    model, tokenizer = tiny
    sample = [t for t in texts["legal"][100:140] if len(t.split()) < 40]
    lm = HFCausalLM(model, tokenizer, device="cpu", batch_size=7)
    ll, n = lm.log_likelihood(sample)
    single = HFCausalLM(model, tokenizer, device="cpu", batch_size=1).log_likelihood(sample)
    np.testing.assert_allclose(ll, single[0], rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(n, single[1])
    ids = [2, *tokenizer(sample[0], add_special_tokens=False)["input_ids"], 3]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0, :-1], -1)
    direct = logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum().item()
    assert np.isclose(ll[0], direct, atol=1e-4) and n[0] == len(ids) - 1
    assert (ll < 0).all()


@pytest.mark.slow
def test_trained_model_prefers_its_domain_and_loads_from_a_folder(tiny, texts, tmp_path):
    model, tokenizer = tiny
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    lm = HFCausalLM(tmp_path, device="cpu")
    legal = lm.log_likelihood(texts["legal"][300:340])
    other = lm.log_likelihood(texts["scripture"][300:340])
    assert -legal[0].sum() / legal[1].sum() < -other[0].sum() / other[1].sum()
    from_object = HFCausalLM(model, tokenizer, device="cpu").log_likelihood(texts["legal"][300:340])
    np.testing.assert_allclose(legal[0], from_object[0], rtol=1e-5)


@pytest.mark.slow
def test_long_sequences_error_or_windows(tiny):
    model, tokenizer = tiny
    long_text = " ".join(["the license"] * 60)  # 120 words > 64 positions
    with pytest.raises(DataError, match=r"sequence 0 has \d+ tokens, more than"):
        HFCausalLM(model, tokenizer, device="cpu").log_likelihood([long_text])
    windowed = HFCausalLM(model, tokenizer, device="cpu", long="window")
    ll, n = windowed.log_likelihood([long_text, "the"])
    assert n[0] == 121 and np.isfinite(ll).all() and n[1] == 2


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        HFCausalLM(tmp_path / "nope")
