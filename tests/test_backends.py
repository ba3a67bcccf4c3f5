import ember


def test_backends_flags_are_settable_and_nothing_is_available(monkeypatch):
    # monkeypatch restores the flags: other tests check their defaults
    monkeypatch.setattr(ember.backends.cudnn, "deterministic", True)
    monkeypatch.setattr(ember.backends.cudnn, "benchmark", False)
    assert ember.backends.cudnn.deterministic is True
    assert ember.backends.mps.is_available() is False
    assert ember.backends.cudnn.is_available() is False


def test_top_level_layer_functions_like_torch_conv2d_resolve_lazily():
    x = ember.randn(2, 1, 5, 5)
    w = ember.randn(3, 1, 3, 3)
    assert ember.conv2d(x, w).shape == (2, 3, 3, 3)
    assert ember.max_pool2d(x, 2).shape == (2, 1, 2, 2)
    assert ember.layer_norm(x, (5,)).shape == x.shape
