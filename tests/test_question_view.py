"""The question's HTML (web/question_view.py): its prompt and a button per choice, the radio's choices, and the
answer marked right or wrong with why, in EN and ES."""
import re

import pytest

from mnist_cnn.errors import InputError
from mnist_cnn.questions import CHOICES, QUESTIONS, check
from web.question_view import QUESTION_CSS, answer_html, choices, question_html
from web.text import EN, ES

BUTTON = re.compile(r'<button data-index="(\d+)" tabindex="(-?\d+)" aria-pressed="(true|false)"( class="[^"]+")?>')


def keys() -> list[str]:
    words = [f"question.{q}.{v}" for q in QUESTIONS for v in CHOICES[q] if isinstance(v, str)]
    return ["question.title", "question.choices", "question.right", "question.wrong", "error.question",
            "error.choice", *(f"question.{q}" for q in QUESTIONS), *(f"question.{q}.why" for q in QUESTIONS), *words]


def test_every_text_is_in_both_languages_with_the_same_values():
    for key in keys():
        assert EN[key] != ES[key], key
        assert sorted(re.findall(r"%\((\w+)\)s", EN[key])) == sorted(re.findall(r"%\((\w+)\)s", ES[key])), key


def test_the_radio_s_choices_in_each_language():
    assert choices("model", "en") == [("128", 0), ("784", 1), ("3,136", 2), ("6,272", 3)]
    assert choices("model", "es") == [("128", 0), ("784", 1), ("3136", 2), ("6272", 3)]
    assert [label for label, _ in choices("dim1", "es")] == [ES["question.dim1.row"], ES["question.dim1.column"],
                                                             ES["question.dim1.table"]]
    with pytest.raises(InputError):
        choices("nope", "en")


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_question_before_its_answer_is_a_prompt_and_a_button_per_choice(question, lang):
    html = question_html(question, lang)
    found = BUTTON.findall(html)
    assert [int(i) for i, *_ in found] == list(range(len(CHOICES[question])))
    assert [tab for _, tab, *_ in found].count("0") == 1  # one stop for Tab; the arrows move between them
    assert all(pressed == "false" and not mark for _, _, pressed, mark in found)
    assert {"en": EN, "es": ES}[lang][f"question.{question}"] in html
    assert "qn-said" not in html


def test_a_wrong_answer_is_marked_and_says_the_right_one_and_why(model, drawing, test_set):
    answer = check(model, drawing, "padding", 2, *test_set)  # 28: with padding 1, not 0
    en, es = answer_html(answer, "en"), answer_html(answer, "es")
    marks = {int(i): (pressed, mark) for i, _, pressed, mark in BUTTON.findall(en)}
    assert marks[1] == ("false", ' class="qn-right"') and marks[2] == ("true", ' class="qn-wrong"')
    assert "<b>Not quite: the answer is 26.</b>" in en and "<b>No exactamente: la respuesta es 26.</b>" in es
    assert "⌊(28 + 2·0 − 3)/1⌋ + 1 = 26" in en and "32 maps of 26 × 26" in en and "32 mapas de 26 × 26" in es


def test_a_right_answer_says_so_with_the_batch_s_numbers(model, drawing, test_set):
    answer = check(model, drawing, "dim1", 0, *test_set)
    en, es = answer_html(answer, "en"), answer_html(answer, "es")
    assert "<b>Right.</b>" in en and "<b>¡Correcto!</b>" in es
    assert "(yours: 1.000)" in en and "(la tuya: 1,000)" in es
    assert en.count('class="qn-right"') == 1 and 'class="qn-wrong"' not in en


def test_the_answer_s_sizes_are_written_the_language_s_way(model, drawing, test_set):
    answer = check(model, drawing, "model", 0, *test_set)
    assert "the answer is 3,136." in answer_html(answer, "en") and "la respuesta es 3136." in answer_html(answer, "es")


def test_the_css_marks_right_and_wrong_apart():
    assert ".qn-right" in QUESTION_CSS and ".qn-wrong" in QUESTION_CSS
