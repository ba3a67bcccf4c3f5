"""ember.utils.summary: a torchinfo-style table whose numbers are checked against the model."""

import ember
from ember import nn
from ember.utils import summary


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def test_totals_shapes_and_mult_adds_match_the_model(capsys):
    model = Net()
    model.features[1].weight.requires_grad_(False)
    stats = summary(model, input_size=(2, 3, 8, 8), col_names=["input_size", "output_size", "num_params", "mult_adds",
                                                                 "trainable", "kernel_size", "params_percent"])
    printed = capsys.readouterr().out
    assert str(stats) in printed
    total = sum(p.numel() for p in model.parameters())
    assert stats.total_params == total == 8 * 3 * 9 + 8 + 16 + 128 * 5 + 5
    assert stats.trainable_params == total - 8 and stats.non_trainable_params == 8
    rows = {r.name: r for r in stats.summary_list}
    assert rows["features.0"].output_size == [2, 8, 8, 8] and rows["features.0"].kernel_size == [3, 3]
    assert rows["features.3"].output_size == [2, 8, 4, 4]
    assert rows["head"].input_size == [2, 128] and rows["head"].output_size == [2, 5]
    conv_macs = 8 * 8 * 8 * 2 * (3 * 9)  # every output element: a 27-term dot product
    linear_macs = 2 * 5 * 128
    assert rows["features.0"].mult_adds == conv_macs and rows["head"].mult_adds == linear_macs
    assert stats.total_mult_adds == conv_macs + linear_macs
    assert rows["features.1"].trainable_params == 8 and "Partial" in printed
    assert f"Total params: {total:,}" in printed and "Non-trainable params: 8" in printed
    assert stats.total_param_bytes == total * 4


def test_depth_folds_children_into_their_parent_row():
    stats = summary(Net(), input_size=(1, 3, 8, 8), depth=1, verbose=0)
    text = str(stats)
    assert "Conv2d" not in text and "Sequential: 1-1" in text
    features_params = 8 * 27 + 8 + 16
    assert f"{features_params:,}" in text


def test_input_data_batch_dim_mode_and_errors(capsys):
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
    model.train()
    stats = summary(model, input_size=(4,), batch_dim=0, mode="eval", verbose=0)
    assert capsys.readouterr().out == ""
    assert stats.summary_list[1].output_size == [1, 3]
    assert model.training and model[1].training  # mode restored
    stats = summary(model, input_data=ember.randn(6, 4), verbose=0)
    assert stats.summary_list[1].input_size == [6, 4]
    import pytest

    with pytest.raises(ValueError, match="col_names"):
        summary(model, input_size=(1, 4), col_names=["flops"])
    with pytest.raises(ValueError, match="input_size"):
        summary(model)
    with pytest.raises(ValueError, match="CPU only"):
        summary(model, input_size=(1, 4), device="cuda")
