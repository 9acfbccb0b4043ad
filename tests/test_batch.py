"""The drawing in a batch (mnist_cnn/batch.py): one forward pass, sums along dim=1 and dim=0, the drawing's row with
each, nll_loss, the shapes with the batch, and sizes and dims from a visitor checked."""
import math

import pytest
import torch
import torch.nn.functional as F

from mnist_cnn.batch import MAX_BATCH, dim_of, run_batch, size_of
from mnist_cnn.data import denormalise, load_mnist, normalise
from mnist_cnn.errors import InputError
from mnist_cnn.preprocess import prepare
from mnist_cnn.strokes import draw_strokes


@pytest.fixture(scope="module")
def test_set():
    return load_mnist("test")


@pytest.fixture(scope="module")
def drawing(digit_strokes):
    return prepare(draw_strokes(digit_strokes["7"])).tensor  # (1, 1, 28, 28), as the page prepares a drawing


@pytest.fixture(scope="module")
def batches(model, drawing, test_set):
    return {(n, d): run_batch(model, drawing, *test_set, n, d) for n in (1, 8, 64) for d in (0, 1)}


@pytest.mark.parametrize("n", [8, 64])
def test_under_dim_1_every_row_sums_to_1_and_under_dim_0_every_column(batches, n):
    rows, columns = batches[n, 1], batches[n, 0]
    assert torch.allclose(rows.row_sums[1], torch.ones(n), atol=1e-5)
    assert torch.allclose(columns.column_sums[0], torch.ones(10), atol=1e-5)
    assert not torch.allclose(rows.column_sums[1], torch.ones(10), atol=1e-2)  # the other way round, they do not
    assert not torch.allclose(columns.row_sums[0], torch.ones(n), atol=1e-2)
    assert torch.equal(rows.chosen, rows.probs[1]) and torch.equal(columns.chosen, columns.probs[0])


def test_the_drawing_s_row_is_the_same_in_any_batch_under_dim_1_and_changes_under_dim_0(batches):
    assert torch.allclose(batches[8, 1].probs[1][0], batches[64, 1].probs[1][0], atol=1e-6)
    assert torch.allclose(batches[1, 1].probs[1][0], batches[64, 1].probs[1][0], atol=1e-6)
    assert (batches[8, 0].probs[0][0] - batches[64, 0].probs[0][0]).abs().max() > 1e-3
    assert torch.equal(batches[1, 0].probs[0], torch.ones(1, 10))  # alone, each column is one number: 1


def test_the_network_runs_once_on_the_whole_batch_and_its_logits_are_fc2_s(model, drawing, test_set):
    seen = []
    hook = model.fc2.register_forward_hook(lambda module, args, out: seen.append(args[0].shape[0]))
    try:
        batch = run_batch(model, drawing, *test_set, 8, 1)
    finally:
        hook.remove()
    assert seen == [8]
    with torch.no_grad():
        assert torch.allclose(F.log_softmax(batch.logits, dim=1), model(batch.inputs), atol=1e-5)
        assert torch.allclose(batch.logits[0], model(drawing, return_activations=True)[1]["logits"][0], atol=1e-4)


def test_row_0_is_the_drawing_and_the_rest_the_first_test_digits(batches, drawing, test_set):
    images, labels = test_set
    b = batches[8, 1]
    assert torch.equal(b.inputs[0], drawing[0]) and torch.allclose(b.inputs[1:], normalise(images[:7]))
    assert torch.equal(b.ink[1:], images[:7])
    assert (b.ink[0].float() / 255 - denormalise(drawing[0, 0]).clamp(0, 1)).abs().max() < 1 / 255
    assert torch.equal(b.labels[1:], labels[:7]) and int(b.labels[0]) == b.answers[1] == 7


def test_nll_loss_under_each_choice(batches):
    b = batches[64, 1]
    assert b.losses[1] == pytest.approx(float(F.nll_loss(F.log_softmax(b.logits, 1), b.labels)), abs=1e-6)
    assert b.losses[0] == pytest.approx(float(F.nll_loss(F.log_softmax(b.logits, 0), b.labels)), abs=1e-6)
    assert b.losses[1] < 0.5 < b.losses[0]  # the trained network's loss is small only the way it was trained
    assert batches[1, 0].losses[0] == 0.0  # a batch of one under dim=0: log 1 = 0 whatever the network says


@pytest.mark.parametrize("n", [1, 8, 64])
def test_the_shapes_carry_the_batch(batches, n):
    b = batches[n, 1]
    assert [s for _, s in b.shapes] == [(n, 1, 28, 28), (n, 32, 28, 28), (n, 32, 14, 14), (n, 64, 14, 14),
                                        (n, 64, 7, 7), (n, 3136), (n, 128), (n, 10)]
    assert b.rows == n and b.width == 3136 and b.size == n
    assert b.error_one.endswith("(1x2304 and 3136x128)") and b.error_batch.endswith(f"({n}x2304 and 3136x128)")


def test_the_answer_under_each_choice(batches):
    assert batches[64, 1].answers[1] == int(batches[64, 1].probs[1][0].argmax())
    assert batches[64, 0].answers[0] == int(batches[64, 0].probs[0][0].argmax())


@pytest.mark.parametrize("value", [0, MAX_BATCH + 1, -1, 8.5, "8", True, None, math.nan, math.inf, 10 ** 400, [8]])
def test_a_bad_size_is_refused_with_its_sentence(value, model, drawing, test_set):
    with pytest.raises(InputError) as e:
        run_batch(model, drawing, *test_set, value, 1)
    assert e.value.key == "error.batch_size" and e.value.values == {"limit": MAX_BATCH}


@pytest.mark.parametrize("value", [2, -1, 0.5, "x", "dim=1", None, True, [1], math.nan])
def test_a_bad_dim_is_refused_with_its_sentence(value):
    with pytest.raises(InputError) as e:
        dim_of(value)
    assert e.value.key == "error.batch_dim"


def test_sizes_and_dims_as_a_client_may_send_them():
    assert size_of(1) == 1 and size_of(64.0) == 64
    assert dim_of(1) == 1 and dim_of(0.0) == 0 and dim_of("0") == 0


def test_the_drawing_must_be_one_prepared_image(model, test_set):
    with pytest.raises(ValueError):
        run_batch(model, torch.zeros(2, 1, 28, 28), *test_set, 8, 1)
