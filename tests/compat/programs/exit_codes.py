import sys

import torch

if __name__ == "__main__":
    mode = sys.argv[1]
    print("argv:", sys.argv[1:], "file ok:", __file__.endswith("exit_codes.py"))
    if mode == "exit":
        sys.exit(int(sys.argv[2]))
    if mode == "raise":
        raise ValueError("bad value from the program")
    if mode == "missing-module":
        import torch.fancy_missing_module  # noqa: F401
    print("ok", torch.tensor([1, 2]).sum().item())
