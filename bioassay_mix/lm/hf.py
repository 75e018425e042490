"""A Hugging Face ``transformers`` causal language model as a MixMin proxy (extra ``lm``).

Models load from a local folder or are passed in as objects; nothing is fetched from a hub at
run time (``local_files_only=True``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..device import resolve_device
from ..errors import BioassayMixError, DataError

logger = logging.getLogger(__name__)

LONG_MODES = ("error", "window")


def _require_lm_extra():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise BioassayMixError(
            "the Hugging Face adapter needs the 'lm' extra: pip install 'bioassay-mix[lm]'"
        ) from exc
    return torch, transformers


class HFCausalLM:
    """Scores sequences with a causal LM: per sequence the summed natural-log likelihood of its
    tokens and of the end-of-sequence token, given a start token (the tokenizer's BOS, else its
    EOS), and the number of predicted tokens.

    Parameters
    ----------
    model : a local folder (``save_pretrained`` output) or a ``PreTrainedModel``.
    tokenizer : a local folder or a tokenizer object (default: ``model`` when it is a folder).
    device : ``auto``, ``cpu`` or ``cuda``.
    batch_size : sequences per forward pass; each batch is padded to its longest sequence and
        the padding is masked (attention mask, and left out of the sums).
    long : a sequence longer than the model's context (``max_length``, default the model's
        ``n_positions``/``max_position_embeddings``) is an error naming it (``"error"``), or is
        scored in consecutive windows, each conditioned only on its own tokens (``"window"``).
    """

    def __init__(
        self,
        model: str | os.PathLike | Any,
        tokenizer: Any = None,
        *,
        device: str = "auto",
        batch_size: int = 16,
        max_length: int | None = None,
        long: str = "error",
    ):
        torch, transformers = _require_lm_extra()
        if long not in LONG_MODES:
            raise ValueError(f"long must be one of {LONG_MODES}, got {long!r}")
        if isinstance(model, str | os.PathLike):
            path = str(model)
            if not os.path.isdir(path):
                raise DataError(
                    f"model folder {path} does not exist (models load from local folders only)"
                )
            model = transformers.AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
            tokenizer = tokenizer if tokenizer is not None else path
        if tokenizer is None:
            raise DataError("give the tokenizer (an object or a local folder) with a model object")
        if isinstance(tokenizer, str | os.PathLike):
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                str(tokenizer), local_files_only=True
            )
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.long = long
        cfg = model.config
        self.max_length = (
            max_length
            or getattr(cfg, "n_positions", None)
            or getattr(cfg, "max_position_embeddings", None)
        )
        start = (
            tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        )
        if start is None or tokenizer.eos_token_id is None:
            raise DataError("the tokenizer has no BOS or EOS token to start and end sequences")
        self._start, self._end = int(start), int(tokenizer.eos_token_id)
        self._torch = torch

    def _pieces(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token ids to score, each starting with the start token, and the sequence of each."""
        pieces, owner = [], []
        for i, text in enumerate(texts):
            ids = [
                self._start,
                *self.tokenizer(text, add_special_tokens=False)["input_ids"],
                self._end,
            ]
            limit = self.max_length
            if limit is None or len(ids) <= limit:
                pieces.append(ids)
                owner.append(i)
            elif self.long == "error":
                raise DataError(
                    f"sequence {i} has {len(ids)} tokens, more than the model's "
                    f"context of {limit}; use long='window' to score it in windows"
                )
            else:  # windows overlap by one token so every token is predicted exactly once
                for s in range(0, len(ids) - 1, limit - 1):
                    pieces.append(ids[s : s + limit])
                    owner.append(i)
        return pieces, owner

    def log_likelihood(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per sequence: summed natural-log likelihood and number of predicted tokens."""
        torch = self._torch
        pieces, owner = self._pieces(texts)
        loglik = np.zeros(len(texts))
        counts = np.zeros(len(texts))
        order = np.argsort([len(p) for p in pieces], kind="stable")  # similar lengths batch
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self._end
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                batch = [pieces[j] for j in order[b : b + self.batch_size]]
                width = max(len(p) for p in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for r, p in enumerate(batch):
                    ids[r, : len(p)] = torch.tensor(p)
                    mask[r, : len(p)] = 1
                ids, mask = ids.to(self.device), mask.to(self.device)
                logits = self.model(input_ids=ids, attention_mask=mask).logits.float()
                logp = torch.log_softmax(logits[:, :-1], dim=-1)
                token_lp = logp.gather(-1, ids[:, 1:, None])[..., 0] * mask[:, 1:]
                sums = token_lp.sum(dim=1).double().cpu().numpy()
                for r, j in enumerate(order[b : b + self.batch_size]):
                    loglik[owner[j]] += sums[r]
                    counts[owner[j]] += len(pieces[j]) - 1
        return loglik, counts
