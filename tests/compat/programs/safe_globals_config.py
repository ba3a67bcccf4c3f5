# A checkpoint that carries a config object: refused by the weights_only default, allowed with safe_globals.
import dataclasses
import pickle

import torch
import torch.serialization


@dataclasses.dataclass
class TrainConfig:
    lr: float = 0.1
    layers: int = 2


model = torch.nn.Linear(3, 1)
torch.save({"config": TrainConfig(lr=0.5), "state_dict": model.state_dict()}, "with_config.pt")
try:
    torch.load("with_config.pt")
except pickle.UnpicklingError as e:
    print("refused:", "TrainConfig" in str(e), "add_safe_globals" in str(e))
with torch.serialization.safe_globals([TrainConfig]):
    ckpt = torch.load("with_config.pt")
print("inside safe_globals:", ckpt["config"])
print("after the block:", TrainConfig not in torch.serialization.get_safe_globals())
torch.serialization.add_safe_globals([TrainConfig])
print("added:", torch.load("with_config.pt", weights_only=True)["config"].lr)
torch.serialization.clear_safe_globals()
print("unsafe globals:", torch.serialization.get_unsafe_globals_in_checkpoint("with_config.pt"))
