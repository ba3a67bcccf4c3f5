import ember


def test_backends_flags_are_settable_and_nothing_is_available():
    ember.backends.cudnn.deterministic = True
    ember.backends.cudnn.benchmark = False
    assert ember.backends.cudnn.deterministic is True
    assert ember.backends.mps.is_available() is False
    assert ember.backends.cudnn.is_available() is False
