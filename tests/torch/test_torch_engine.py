"""The torch engine (homeostasis.torch.mlp and .trainer) runs the numpy engine's protocol: in
float64, from the same seed, the same learning curve and the same hidden-unit statistics."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'homeostasis[torch]')")

from homeostasis import ann  # noqa: E402
from homeostasis.torch.mlp import MLP  # noqa: E402
from homeostasis.torch.trainer import train  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    return ann.load("digits")


# batch normalization is left out: PyTorch keeps an unbiased running variance, the numpy layer a
# biased one, so evaluation differs by design (training steps agree)
# the bio-inspired methods in the default run; the deep-learning ones (PyTorch's own modules) in the slow one
@pytest.mark.parametrize("method", [m if m in ann.BIO_METHODS else pytest.param(m, marks=pytest.mark.slow)
                                    for m in ann.METHODS if m != "batch"])
def test_float64_torch_engine_follows_the_numpy_engine_step_for_step(method, digits):
    kwargs = {"steps": 40, "batch_size": 50, "eval_every": 20, "probe": digits.x_test[:100], "seed": 3}
    ref = ann.train(ann.MLP([64, 24, 24, 10], method, random_state=1), digits, **kwargs)
    got = train(MLP([64, 24, 24, 10], method, random_state=1, dtype=torch.float64), digits, **kwargs)
    np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-9)
    np.testing.assert_array_equal(got.test_accuracy, ref.test_accuracy)
    for mine, theirs in zip(got.probe_mean + got.probe_std, ref.probe_mean + ref.probe_std):
        np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-10)
    assert got.final_train_accuracy == ref.final_train_accuracy


def test_sgd_protocol_and_a_different_seed_change_the_run(digits):
    kwargs = {"steps": 40, "batch_size": 50, "eval_every": 20, "optimizer": "sgd", "lr": 0.05}
    ref = ann.train(ann.MLP([64, 24, 10], "ssn", random_state=0), digits, **kwargs)
    got = train(MLP([64, 24, 10], "ssn", random_state=0, dtype=torch.float64), digits, **kwargs)
    np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-9)
    other = train(MLP([64, 24, 10], "ssn", random_state=0, dtype=torch.float64), digits, seed=1, **kwargs)
    assert not np.allclose(other.loss, got.loss)


@pytest.mark.parametrize("change,message", [
    ({"batch_size": 1, "method": "batch"}, "batch normalization cannot train with a batch of one"),
    ({"steps": 0}, "parameter 'steps' of train must be an integer >= 1, got 0"),
    ({"sizes": [10, 4, 10]}, "the model takes 10 inputs but the data have 64 (train)"),
])
def test_the_torch_trainer_refuses_what_the_numpy_trainer_refuses(change, message, digits):
    sizes, method = change.pop("sizes", [64, 8, 10]), change.pop("method", "none")
    with pytest.raises(ValueError) as got:
        train(MLP(sizes, method, random_state=0), digits, **{"steps": 5, **change})
    with pytest.raises(ValueError) as ref:
        ann.train(ann.MLP(sizes, method, random_state=0), digits, **{"steps": 5, **change})
    assert message in str(got.value) and str(got.value) == str(ref.value)
