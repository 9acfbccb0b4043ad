"""The seed CNN: shapes stage by stage, parameter count, log-probabilities, and activations that stay per call."""
import threading

import torch

from mnist_cnn.model import STAGES, Net, count_parameters

SHAPES = {  # per image, without the batch dimension
    "conv1": (32, 28, 28), "conv1_relu": (32, 28, 28), "pool1": (32, 14, 14),
    "conv2": (64, 14, 14), "conv2_relu": (64, 14, 14), "pool2": (64, 7, 7),
    "flatten": (7 * 7 * 64,), "fc1": (128,), "fc1_relu": (128,), "logits": (10,), "log_probs": (10,),
}


def make_net(seed: int = 0) -> Net:
    torch.manual_seed(seed)
    return Net().eval()


def test_shapes_stage_by_stage():
    log_probs, acts = make_net()(torch.randn(3, 1, 28, 28), return_activations=True)
    assert list(acts) == list(STAGES)
    assert {k: tuple(v.shape[1:]) for k, v in acts.items()} == SHAPES
    assert all(v.shape[0] == 3 for v in acts.values())
    assert log_probs.shape == (3, 10)


def test_stages_are_consecutive_steps():
    net = make_net()
    _, acts = net(torch.randn(2, 1, 28, 28), return_activations=True)
    assert torch.equal(acts["conv1_relu"], acts["conv1"].clamp(min=0))
    assert torch.equal(acts["pool1"], torch.nn.functional.max_pool2d(acts["conv1_relu"], 2))
    assert torch.equal(acts["flatten"], acts["pool2"].reshape(2, 7 * 7 * 64))
    assert torch.allclose(acts["logits"], net.fc2(acts["fc1_relu"]))
    assert torch.allclose(acts["log_probs"], torch.log_softmax(acts["logits"], 1))


def test_parameter_count_and_names():
    net = make_net()
    assert count_parameters(net) == 421_642
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == {
        "conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,),
        "conv2.weight": (64, 32, 3, 3), "conv2.bias": (64,),
        "fc1.weight": (128, 7 * 7 * 64), "fc1.bias": (128,),
        "fc2.weight": (10, 128), "fc2.bias": (10,),
    }


def test_log_probs_sum_to_one():
    net = make_net()
    x = torch.randn(5, 1, 28, 28) * 3
    with torch.no_grad():
        log_probs = net(x)
        again, acts = net(x, return_activations=True)
    assert (log_probs <= 0).all()
    assert torch.allclose(log_probs.exp().sum(1), torch.ones(5), atol=1e-5)
    assert torch.equal(log_probs, again) and torch.equal(again, acts["log_probs"])


def test_activations_of_concurrent_calls_do_not_mix():
    net = make_net()
    inputs = [torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(s)) for s in (1, 2)]
    with torch.no_grad():
        expected = [net(x, return_activations=True)[1] for x in inputs]
    assert not torch.allclose(expected[0]["logits"], expected[1]["logits"])
    start = threading.Barrier(2)
    mismatches = [[], []]

    def run(i: int) -> None:
        start.wait()
        try:
            for step in range(150):
                with torch.no_grad():
                    _, acts = net(inputs[i], return_activations=True)
                for k in STAGES:
                    if not torch.allclose(acts[k], expected[i][k], rtol=1e-5, atol=1e-6):
                        mismatches[i].append((step, k))
        except Exception as e:  # a thread's exception would otherwise pass unseen
            mismatches[i].append(repr(e))

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mismatches == [[], []]
    assert not any(isinstance(v, torch.Tensor) for v in vars(net).values())  # nothing left on the model
