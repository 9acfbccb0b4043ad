"""The page's two languages: a text of text.py filled in, numbers written as each language writes them, and HTML
made in both languages of which the page shows only its own.
"""
import json
from collections.abc import Callable

from mnist_cnn.errors import InputError

from .assets import static
from .text import EN, ES

TEXTS = {"en": EN, "es": ES}
# Gradio sets <html lang> to the page's language (the browser's, or the one picked), so bilingual() output shows
# only that language. The app passes it to launch(css=...).
CSS = "html:lang(es) .l-en, html:not(:lang(es)) .l-es { display: none; }"
MINUS = "−"  # a true minus sign, as wide as the plus


def language(lang: str) -> str:
    """"es" for Spanish, "en" for anything else: what a browser or a hostile client says is never used as it is."""
    return "es" if isinstance(lang, str) and lang.lower().startswith("es") else "en"


def number(v: float, lang: str = "en", decimals: int = 3) -> str:
    """A decimal number as the page prints it: fixed decimals, a true minus, a decimal comma in Spanish (1,021)."""
    s = f"{v:.{decimals}f}"
    if s.lstrip("-").strip("0.") == "":  # -0.000 is 0.000
        s = s.lstrip("-")
    return s.replace("-", MINUS).replace(".", "," if language(lang) == "es" else ".")


def short(v: float, lang: str = "en") -> str:
    """A number in 3 significant digits (pictures' scales), a true minus, a decimal comma in Spanish."""
    s = f"{v:.3g}".replace("-", MINUS)
    return s.replace(".", ",") if language(lang) == "es" else s


def integer(n: int, lang: str = "en") -> str:
    """A whole number with thousands grouped: 10,000 in English, 10 000 (a no-break space, as the RAE says) in
    Spanish, where 4-digit numbers stay ungrouped (3136)."""
    s = f"{n:,}"
    if language(lang) == "es":
        return s.replace(",", "") if abs(n) < 10_000 else s.replace(",", "\u00a0")
    return s


def percent(p: float, lang: str = "en", decimals: int = 0) -> str:
    """A probability in [0, 1] as a percentage: 97% in English, 97 % in Spanish (a no-break space)."""
    value = number(100 * p, lang, decimals)
    return f"{value}\u00a0%" if language(lang) == "es" else f"{value}%"


def t(key: str, lang: str = "en", **values) -> str:
    """One text of text.py in lang ("es", else English), with %(name)s values filled in: floats with a decimal comma
    in Spanish (1 decimal), ints grouped as integer() does, strings as they are."""
    lang = language(lang)

    def written(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return v
        return number(v, lang, 1) if isinstance(v, float) else integer(v, lang)
    return TEXTS[lang][key] % {k: written(v) for k, v in values.items()}


def bilingual(render: Callable[..., str], *args) -> str:
    """render(*args, lang) in English and in Spanish, each wrapped so that CSS shows only the page's one."""
    return "".join(f'<div class="l-{lang}" lang="{lang}">{render(*args, lang)}</div>' for lang in TEXTS)


def sentence(error: InputError, lang: str = "en") -> str:
    """The sentence that tells a visitor what is wrong with what they sent, in lang (a key without a text, which only
    a misled decoder could send: the file is damaged)."""
    if error.key not in TEXTS["en"]:
        return t("error.damaged", lang)
    return t(error.key, lang, **error.values)


# Words and numbers Gradio's components write themselves, in English and JavaScript's format whatever the page's
# language, with no setting to change them (gr.Slider's ends, gr.Label's percentages...): web/static/gradio-words.js
# rewrites them as Gradio draws them, from these texts of text.py. Gradio's markup it relies on (.min_value,
# .max_value, the aria-labels and their patterns, .confidence-set) was read from Gradio 6's front end.
# Gradio's own aria-labels, as its front end writes them, and the keys of their texts in text.py
GRADIO_LABELS = {"Reset to default value": "gradio.reset", "Empty value": "gradio.empty",
                 "More tabs": "gradio.more-tabs"}
GRADIO_WORDS = ("gradio.range", "gradio.number", *GRADIO_LABELS.values())  # every text the script writes


def gradio_words_head(tabs: Callable[[str], list[str]] = lambda lang: []) -> str:
    """A <script> for launch(head=...) that writes Gradio's own words and numbers in the page's language, and the
    names of the lesson's tabs (tabs(lang): each tab's name in that language, in order)."""
    words = {lang: {key: texts[key] for key in GRADIO_WORDS} for lang, texts in TEXTS.items()}
    data = json.dumps({"WORDS": words, "FIXED": GRADIO_LABELS, "TABS": {lang: tabs(lang) for lang in TEXTS}},
                      ensure_ascii=False).replace("</", "<\\/")
    return (f'<script type="application/json" id="gradio-words">{data}</script>'
            f"<script>(() => {{\n{static('page-language.js')}\n{static('gradio-words.js')}\n}})();</script>")
