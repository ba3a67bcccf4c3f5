# The "Automatic Mixed Precision" recipe, written for any device: autocast + GradScaler.
# ruff: noqa: B007, F401  (written as PyTorch users write it, unused names and all)
import warnings

import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
use_amp = True
torch.manual_seed(0)

net = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4)).to(device)
opt = torch.optim.SGD(net.parameters(), lr=0.05)
scaler = torch.amp.GradScaler(device, enabled=use_amp)
loss_fn = torch.nn.MSELoss()

data = torch.randn(256, 16, device=device)
targets = data[:, :4] * 2.0
start = None
for epoch in range(60):
    with torch.autocast(device_type=device, dtype=torch.float16, enabled=use_amp):
        output = net(data)
        loss = loss_fn(output, targets)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)
    scaler.step(opt)
    scaler.update()
    opt.zero_grad()
    if start is None:
        start = loss.item()
print(f"amp loss {start:.4f} -> {loss.item():.4f}; scale {scaler.get_scale()}")
checkpoint = {"model": net.state_dict(), "optimizer": opt.state_dict(), "scaler": scaler.state_dict()}
torch.save(checkpoint, "amp_checkpoint.pt")

# Older scripts: the deprecated CUDA spellings, which disable themselves without a GPU.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    legacy = torch.cuda.amp.GradScaler()
    with torch.cuda.amp.autocast():
        out = net(data)
print("legacy scaler enabled:", legacy.is_enabled(), "warnings:", len(caught), "dtype:", out.dtype)
