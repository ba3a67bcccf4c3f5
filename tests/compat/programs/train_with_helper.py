# Imports its model and utilities from a module beside it, and an LSTM from torch.nn.modules.rnn.
# ruff: noqa: B007, F401  (written as PyTorch users write it, unused names and all)
import sys

import torch
from torch.nn.modules.rnn import LSTM
from torch.nn.modules.batchnorm import BatchNorm1d
from torch.nn.modules.utils import _pair

from netlib import BagOfWords, SmoothedCE, accuracy, make_batch

if __name__ == "__main__":
    assert _pair(3) == (3, 3)
    print("initial seed is fresh each run:", torch.initial_seed())
    g = torch.Generator().manual_seed(7)
    torch.manual_seed(7)
    model = BagOfWords(vocab=20, dim=8, classes=2)
    lstm = LSTM(8, 4, batch_first=True)
    norm = BatchNorm1d(4)
    criterion = SmoothedCE()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for step in range(60):
        tokens, target = make_batch(32, 20, 6, g)
        loss = criterion(model(tokens), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    tokens, target = make_batch(200, 20, 6, g)
    with torch.no_grad():
        acc = accuracy(model(tokens), target)
        seq, _ = lstm(model.embed(tokens[:5]))
        feats = norm(seq[:, -1])
    print(f"helper accuracy {acc:.3f} lstm features {tuple(feats.shape)}")
    sys.exit(0 if acc > 0.9 else 1)
