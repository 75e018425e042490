"""MixMin for text domains: n-gram and Hugging Face proxies, the generative objective, and the
pipeline from domain corpora to a final model trained on the MixMin mixture."""

from .mixing import (
    LMMixConfig,
    LMMixResult,
    SequenceScorer,
    lm_mix,
    mixture_nll,
    proxy_loglik,
    sample_corpus,
)
from .ngram import KneserNeyLM, build_vocabulary, tokenize
from .text import load_text_domain, read_domain_dir, read_sequences, split_target, text_domains

__all__ = [
    "KneserNeyLM",
    "LMMixConfig",
    "LMMixResult",
    "SequenceScorer",
    "build_vocabulary",
    "lm_mix",
    "load_text_domain",
    "mixture_nll",
    "proxy_loglik",
    "read_domain_dir",
    "read_sequences",
    "sample_corpus",
    "split_target",
    "text_domains",
    "tokenize",
]
