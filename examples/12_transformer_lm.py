"""Chapter 12 -- A character-level Transformer language model.

What this teaches
-----------------
A language model predicts the next character from the ones before it. Attention lets every
position look back at all earlier positions at once: position i forms a query q_i, every
position j a key k_j and a value v_j (three linear maps of the embeddings), and

    a_ij = softmax_j(q_i . k_j / sqrt(d) + m_ij),        out_i = sum_j a_ij v_j.

The mask m_ij = -inf for j > i (``nn.Transformer.generate_square_subsequent_mask``) makes the
model causal: a prediction never sees the character it is predicting. Several heads do this in
parallel on slices of the embedding (``nn.MultiheadAttention``); a Transformer layer adds a
feed-forward network, residual connections and LayerNorm (``nn.TransformerEncoderLayer``).
Attention has no notion of order, so a learned position embedding is added to the input.

The loss to beat is the unigram entropy, H = -sum_c p(c) log p(c): the cross-entropy of a model
that only knows how often each character occurs. Anything below it is learned context.

Data: sixteen of Shakespeare's Sonnets (1609, public domain), ``examples/data/sonnets.txt``.

Run:  python examples/12_transformer_lm.py [--out DIR]
Writes:  transformer_lm_loss.png (training loss against the unigram entropy),
transformer_lm_attention.png (the causal attention weights of each head on one line).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F

PNGS = ("transformer_lm_loss.png", "transformer_lm_attention.png")
TEXT = Path(__file__).parent / "data" / "sonnets.txt"
CONTEXT = 64  # characters the model sees at once


class CharTransformer(nn.Module):
    """Token + position embeddings -> causal TransformerEncoder (pre-norm) -> LayerNorm -> logits."""

    def __init__(self, vocab: int, d_model: int = 64, nhead: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(CONTEXT, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, idx):
        length = idx.shape[1]
        x = self.tok(idx) + self.pos(ember.arange(length))
        mask = nn.Transformer.generate_square_subsequent_mask(length)
        return self.head(self.encoder(x, mask=mask, is_causal=True))  # (N, L, vocab)


@ember.no_grad()
def sample(model: CharTransformer, prompt: str, stoi: dict, itos: list, n: int, temperature: float = 0.8) -> str:
    """Extend ``prompt`` by ``n`` characters, each drawn from the model's softmax (scaled by 1 / temperature)."""
    model.eval()
    idx = [stoi[c] for c in prompt]
    for _ in range(n):
        context = ember.tensor([idx[-CONTEXT:]])
        logits = model(context)[0, -1] / temperature
        idx.append(int(ember.multinomial(F.softmax(logits, dim=-1), 1).item()))
    model.train()
    return "".join(itos[i] for i in idx)


def main(out: Path) -> None:
    start = time.perf_counter()
    ember.manual_seed(0)
    rng = np.random.default_rng(0)

    # 1. Characters to integers; the unigram entropy is the baseline the model must beat.
    text = TEXT.read_text(encoding="utf-8")
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    freq = np.bincount(data, minlength=len(itos)) / len(data)
    unigram = float(-(freq[freq > 0] * np.log(freq[freq > 0])).sum())
    print(f"{len(text)} characters, vocabulary {len(itos)}, unigram entropy {unigram:.3f} nats")

    # 2. The model and its optimiser.
    model = CharTransformer(len(itos))
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    optimizer = ember.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)

    # 3. Training: random windows of CONTEXT + 1 characters; the target is the window shifted by one.
    losses = []
    steps, batch = 200, 16
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(data) - CONTEXT - 1, size=batch)
        window = ember.tensor(np.stack([data[s : s + CONTEXT + 1] for s in starts]))
        inputs, targets = window[:, :-1], window[:, 1:]
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, len(itos)), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 40 == 0:
            print(f"step {step:3d}: loss {np.mean(losses[-20:]):.3f} nats/char "
                  f"(perplexity {math.exp(np.mean(losses[-20:])):.1f})")
    final = float(np.mean(losses[-20:]))

    # 4. What it learned: a sampled continuation, and where each head looks.
    print("sample:", repr(sample(model, "Shall I compare thee", stoi, itos, 120)))
    out.mkdir(parents=True, exist_ok=True)
    _plot_loss(losses, unigram, out / PNGS[0])
    _plot_attention(model, "So long lives this, and this gives life to thee.", stoi, out / PNGS[1])
    print("wrote", ", ".join(str(out / p) for p in PNGS))

    print(f"final loss {final:.3f} vs unigram entropy {unigram:.3f}")
    assert final < unigram - 0.6, (final, unigram)
    print(f"done in {time.perf_counter() - start:.2f} s")


def _plot_loss(losses, unigram, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(np.arange(1, len(losses) + 1), losses, label="training loss")
    ax.axhline(unigram, color="grey", linestyle="--", label="unigram entropy")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats / char)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


@ember.no_grad()
def _plot_attention(model: CharTransformer, line: str, stoi: dict, path: Path) -> None:
    """The first layer's attention weights per head: rows are queries, columns keys; zero above the diagonal."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    idx = ember.tensor([[stoi[c] for c in line]])
    layer = model.encoder.layers[0]
    x = layer.norm1(model.tok(idx) + model.pos(ember.arange(len(line))))
    mask = nn.Transformer.generate_square_subsequent_mask(len(line))
    _, weights = layer.self_attn(x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False)
    weights = weights[0].numpy()  # (heads, L, L)
    fig = Figure(figsize=(3 * len(weights), 3.2))
    FigureCanvasAgg(fig)
    for h, w in enumerate(weights):
        ax = fig.add_subplot(1, len(weights), h + 1)
        ax.imshow(w, cmap="viridis")
        ax.set_title(f"head {h}")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="directory for the PNGs")
    main(parser.parse_args().out)
