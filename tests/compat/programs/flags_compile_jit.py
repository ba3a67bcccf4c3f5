# Backend flags, determinism switches, torch.compile and TorchScript, as found at the top of many scripts.
# ruff: noqa: B007, F401  (written as PyTorch users write it, unused names and all)
import random

import numpy as np
import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


seed_everything(123)
cudnn.benchmark = True
torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
torch.set_float32_matmul_precision("high")
torch.use_deterministic_algorithms(True, warn_only=True)
print("versions:", torch.version.cuda, torch.backends.cudnn.version(), torch.backends.mps.is_built())
print("deterministic:", torch.are_deterministic_algorithms_enabled(), torch.get_float32_matmul_precision())
if torch.cuda.is_available():
    torch.cuda.empty_cache()
print("gpus:", torch.cuda.device_count(), "threads:", torch.get_num_threads() >= 1)


@torch.jit.script
def scaled_residual(x, y):
    return x + 0.5 * y


@torch.compile
def mse(a, b):
    return ((a - b) ** 2).mean()


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))

    @torch.jit.ignore
    def describe(self):
        return "tiny regressor"

    def forward(self, x):
        return self.net(x)


model = torch.compile(Model(), mode="reduce-overhead", fullgraph=False)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(128, 4)
y = torch.sin(x).sum(1, keepdim=True)
losses = []
for step in range(150):
    opt.zero_grad(set_to_none=True)
    loss = mse(model(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
traced = torch.jit.trace(model, torch.randn(2, 4))
print(model.describe(), "first loss %.4f last loss %.4f" % (losses[0], losses[-1]))
print("traced output shape", tuple(traced(x).shape), "residual", scaled_residual(torch.ones(1), torch.ones(1)).item())
