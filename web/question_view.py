"""The question before each seed step (#question-<step>), in EN or ES: its prompt and a button per choice (select
gives the choice's index, as the page's pickable pictures do), or its choices for a gr.Radio; then the answer:
right or wrong, and why, with the numbers the network gave on the learner's drawing.
"""
import html

from mnist_cnn.questions import CHOICES, Answer, question_of

from .i18n import integer, number, t

# Small stylesheet for the questions; the app passes it to launch(css=...)
QUESTION_CSS = """
.qn-choices { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0; }
.qn-choices button { padding: 4px 12px; border: 1px solid #888; border-radius: 6px; background: #fff; color: #222;
                     font-size: var(--text-md); font-weight: 400; }
.qn-choices button.qn-right { border: 2px solid #00843d; background: #e3f6ea; }
.qn-choices button.qn-wrong { border: 2px solid #b3261e; background: #fbe9e7; text-decoration: line-through; }
.qn-said { margin: 4px 0; }
"""


def label(question: str, index: int, lang: str = "en") -> str:
    """The words of one choice in lang: a size written the language's way, or what may sum to 1."""
    value = CHOICES[question][index]
    return t(f"question.{question}.{value}", lang) if isinstance(value, str) else integer(value, lang)


def choices(question: object, lang: str = "en") -> list[tuple[str, int]]:
    """(label, index) of each choice, as gr.Radio(choices=...) takes them; InputError for an unknown question."""
    question = question_of(question)
    return [(label(question, i, lang), i) for i in range(len(CHOICES[question]))]


def written(values: dict, lang: str) -> dict:
    """An answer's numbers as its explanation prints them: fractions with 3 decimals (ints are grouped by t)."""
    return {k: number(v, lang) if isinstance(v, float) else v for k, v in values.items()}


def said_html(answer: Answer, lang: str = "en") -> str:
    """Right or wrong, and why, with the network's numbers on the drawing."""
    q = answer.question
    verdict = t("question.right", lang) if answer.correct else t("question.wrong", lang,
                                                                 answer=label(q, answer.right, lang))
    why = t(f"question.{q}.why", lang, **written(answer.values, lang))
    return f'<p class="qn-said"><b>{html.escape(verdict)}</b> {html.escape(why)}</p>'


def question_html(question: object, lang: str = "en", answer: Answer | None = None) -> str:
    """The question with a button per choice (data-index: its index); once answered, the pick and the right choice
    marked, and what the answer says."""
    question = question_of(question)
    buttons = []
    for i, (words, _) in enumerate(choices(question, lang)):
        mark = ""
        if answer is not None and i == answer.right:
            mark = ' class="qn-right"'
        elif answer is not None and i == answer.choice:
            mark = ' class="qn-wrong"'
        pressed = "true" if answer is not None and i == answer.choice else "false"
        buttons.append(f'<button data-index="{i}" tabindex="{0 if i == 0 else -1}" aria-pressed="{pressed}"{mark}>'
                       f"{html.escape(words)}</button>")
    group = html.escape(t("question.choices", lang))
    said = said_html(answer, lang) if answer is not None else ""
    return (f'<div class="qn"><p class="qn-ask">{html.escape(t(f"question.{question}", lang))}</p>'
            f'<div class="qn-choices" role="group" aria-label="{group}">{"".join(buttons)}</div>{said}</div>')


def answer_html(answer: Answer, lang: str = "en") -> str:
    """The question answered: its buttons with the pick and the right one marked, then right or wrong and why."""
    return question_html(answer.question, lang, answer)
