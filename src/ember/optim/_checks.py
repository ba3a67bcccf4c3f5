"""The optimizers' constructor checks: torch's tests, in torch's order, with torch's messages.

Each optimizer names its hyper-parameters in the order torch checks them,
``check_hyperparameters(lr, eps=eps, betas=betas, weight_decay=weight_decay)``, so the first bad
value reported is the one torch reports.
"""

from __future__ import annotations

from .._tensor import Tensor

__all__ = ["check_hyperparameters"]

# name -> (test a valid value passes, the name torch's message gives it)
_RULES = {
    "eps": (lambda v: 0.0 <= v, "epsilon"),
    "weight_decay": (lambda v: 0.0 <= v, "weight_decay"),
    "momentum": (lambda v: 0.0 <= v, "momentum"),
    "alpha": (lambda v: 0.0 <= v, "alpha"),
    "lr_decay": (lambda v: 0.0 <= v, "lr_decay"),
    "initial_accumulator_value": (lambda v: 0.0 <= v, "initial_accumulator_value"),
    "momentum_decay": (lambda v: 0.0 <= v, "momentum_decay"),
    "rho": (lambda v: 0.0 <= v <= 1.0, "rho"),
}


def check_hyperparameters(lr, *, nan_passes: bool = False, **values) -> None:
    """Raise torch's ``ValueError`` for the first invalid value: ``lr``, then ``values`` in the order given.

    ``nan_passes``: SGD tests ``x < 0`` where the others test ``not 0 <= x``, so NaN gets through it.
    """
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    lr_value = float(lr) if isinstance(lr, Tensor) else lr
    if (lr_value < 0.0) if nan_passes else not 0.0 <= lr_value:
        raise ValueError(f"Invalid learning rate: {lr}")
    for name, value in values.items():
        if name == "betas":
            for i in (0, 1):
                if not 0.0 <= value[i] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {value[i]}")
        elif name == "etas":
            if not 0.0 < value[0] < 1.0 < value[1]:
                raise ValueError(f"Invalid eta values: {value[0]}, {value[1]}")
        else:
            valid, label = _RULES[name]
            if (value < 0.0) if nan_passes else not valid(value):
                raise ValueError(f"Invalid {label} value: {value}")
