# Reaches for a PyTorch API that ember does not have.
import torch

x = torch.ones(3)
dist = torch.distributions.Normal(x, x)
print(dist.sample())
