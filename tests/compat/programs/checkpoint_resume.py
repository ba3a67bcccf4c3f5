# "Saving and loading a general checkpoint" and "saving the entire model" from the PyTorch recipes.
# ruff: noqa: B007, F401  (written as PyTorch users write it, unused names and all)
import os
import sys

import torch
import torch.nn as nn
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.bn = nn.BatchNorm1d(16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def run_epochs(model, optimizer, start, stop, x, y):
    loss = None
    for epoch in range(start, stop):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return loss


if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    PATH = os.path.join(out_dir, "checkpoint.pt")
    WHOLE = os.path.join(out_dir, "whole_model.pt")
    torch.manual_seed(42)
    x = torch.randn(64, 8)
    y = x.sum(dim=1, keepdim=True)

    net = Net()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss = run_epochs(net, optimizer, 0, 20, x, y)
    first_loss = loss.item()
    torch.save({
        'epoch': 20,
        'model_state_dict': net.state_dict(),
        'optimizer_state_dict': optimizer.state_dict(),
        'loss': loss.item(),
    }, PATH)
    torch.save(net, WHOLE)

    # resume in fresh objects
    model = Net()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    checkpoint = torch.load(PATH, weights_only=True)
    model.load_state_dict(checkpoint['model_state_dict'])
    optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
    epoch = checkpoint['epoch']
    loss = checkpoint['loss']
    model.train()
    final = run_epochs(model, optimizer, epoch, epoch + 40, x, y).item()
    print(f"resumed at epoch {epoch} from loss {loss:.4f}; loss now {final:.4f}")

    # the entire model, pickled
    try:
        torch.load(WHOLE)
    except Exception as e:  # weights_only=True refuses a pickled module
        print("weights_only refused:", type(e).__name__)
    whole = torch.load(WHOLE, weights_only=False)
    whole.eval()
    net.eval()
    with torch.no_grad():
        same = torch.allclose(whole(x), net(x))
    print(f"whole model type {type(whole).__name__} same outputs {same}")
    assert final < first_loss
