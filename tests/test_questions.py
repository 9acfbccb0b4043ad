"""The question before each seed step (mnist_cnn/questions.py): right answers computed from the live network and the
drawing, and whatever a visitor sends as a question or a choice checked."""
import math

import pytest
import torch

from mnist_cnn import questions
from mnist_cnn.errors import InputError
from mnist_cnn.model import Net
from mnist_cnn.questions import CHOICES, QUESTIONS, check

RIGHT = {"model": 3136, "padding": 26, "stride": 27, "dim1": "row"}


def test_one_question_per_seed_step_each_with_at_least_3_choices():
    assert QUESTIONS == ("model", "padding", "stride", "dim1")
    assert all(len(CHOICES[q]) >= 3 and len(set(CHOICES[q])) == len(CHOICES[q]) for q in QUESTIONS)


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_right_answer_is_the_network_s(model, drawing, test_set, question):
    right = CHOICES[question].index(RIGHT[question])
    for choice in range(len(CHOICES[question])):
        answer = check(model, drawing, question, choice, *test_set)
        assert answer.right == right and answer.correct == (choice == right) and answer.choice == choice
        assert answer.values["answer"] == RIGHT[question]


def test_the_explanations_numbers_come_from_the_run(model, drawing, test_set):
    assert check(model, drawing, "model", 0, *test_set).values == {"answer": 3136, "c": 64, "h": 7, "w": 7}
    assert check(model, drawing, "padding", 0, *test_set).values == {"answer": 26, "n": 28, "p": 0, "k": 3, "s": 1,
                                                                     "channels": 32}
    said = check(model, drawing, "stride", 0, *test_set).values
    assert said == {"answer": 27, "n": 28, "k": 2, "s": 1, "seed": 14, "seed_stride": 2}
    said = check(model, drawing, "dim1", 0, *test_set).values
    assert said["n"] == 8 and abs(said["row"] - 1) < 1e-5 and abs(said["column"] - 1) > 1e-2


def test_the_answer_follows_what_is_asked_of_the_network(model, drawing, test_set, monkeypatch):
    # computed, not written down: ask about another padding or stride and the right choice moves
    monkeypatch.setattr(questions, "PADDING", 1)
    assert check(model, drawing, "padding", 0, *test_set).values["answer"] == 28
    monkeypatch.setattr(questions, "POOL_STRIDE", 2)
    assert check(model, drawing, "stride", 0, *test_set).values["answer"] == 14


def test_a_network_of_another_shape_answers_outside_the_choices(drawing, test_set):
    torch.manual_seed(0)
    other = Net().eval()
    other.conv1 = torch.nn.Conv2d(1, 32, 5, padding=2)  # 5×5 filters: 24 without padding, not a choice
    with pytest.raises(ValueError):
        check(other, drawing, "padding", 0, *test_set)


@pytest.mark.parametrize("question", ["nope", "", None, 0, 3.0, ["model"], {"q": "model"}, "MODEL", "model "])
def test_an_unknown_question_is_refused(model, drawing, test_set, question):
    with pytest.raises(InputError) as e:
        check(model, drawing, question, 0, *test_set)
    assert e.value.key == "error.question"


@pytest.mark.parametrize("question,choice", [
    ("model", -1), ("model", 4), ("dim1", 3), ("model", 1.5), ("model", "1"), ("model", True), ("model", None),
    ("model", math.nan), ("model", math.inf), ("model", 10 ** 400), ("model", [1]), ("dim1", "row"),
])
def test_a_choice_that_is_not_one_of_the_question_s_is_refused(model, drawing, test_set, question, choice):
    with pytest.raises(InputError) as e:
        check(model, drawing, question, choice, *test_set)
    assert e.value.key == "error.choice" and e.value.values == {"n": len(CHOICES[question])}


def test_a_choice_may_come_as_a_whole_float(model, drawing, test_set):
    assert check(model, drawing, "model", 2.0, *test_set).correct


def test_no_drawing_yet_asks_for_one_after_the_choice_is_checked(model, test_set):
    with pytest.raises(InputError) as e:
        check(model, None, "model", 2, *test_set)
    assert e.value.key == "error.blank"
    with pytest.raises(InputError) as e:
        check(model, None, "model", 9, *test_set)
    assert e.value.key == "error.choice"
