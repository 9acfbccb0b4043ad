"""The page's two languages: a text of text.py filled in, numbers written as each language writes them, and HTML
made in both languages of which the page shows only its own.
"""
import json
from collections.abc import Callable

from mnist_cnn.errors import InputError

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
# language, with no setting to change them: gr.Slider's ends (0.5), its inputs' names ("range slider for ..."), its
# reset button ("Reset to default value"), gr.Label's percentages (75%) and its empty box ("Empty value"). This
# script rewrites them in the page's language as Gradio draws them (a MutationObserver), from the texts of text.py;
# what Gradio writes again when it updates is rewritten again. Gradio's markup it relies on (.min_value, .max_value,
# the aria-labels and their patterns, .confidence-set) was read from Gradio 6's front end.
GRADIO_WORDS_JS = r"""
(() => {
  const WORDS = %s, FIXED = %s;  // the texts by language, and Gradio's own aria-labels -> their texts' keys
  const lang = () => ((document.documentElement.lang || 'en').toLowerCase().startsWith('es') ? 'es' : 'en');
  const said = (key) => WORDS[lang()][key];
  const KEYS = Object.values(FIXED);
  for (const texts of Object.values(WORDS))  // a text written before the language changed is written again
    for (const key of KEYS) FIXED[texts[key]] = key;
  const NAMED = [[/^range slider for (.*)$/s, 'gradio.range'], [/^number input for (.*)$/s, 'gradio.number']];
  const numeral = (v) => {  // JavaScript's 0.5 or -8, or a form this wrote before the language changed
    const s = v.replace('\u2212', '-').replace(',', '.').replace('-', '\u2212');
    return lang() === 'es' ? s.replace('.', ',') : s;
  };
  function fix() {
    for (const el of document.querySelectorAll('[aria-label]')) {
      const v = el.getAttribute('aria-label'), key = FIXED[v];
      if (key && v !== said(key)) el.setAttribute('aria-label', said(key));
      for (const [re, key] of NAMED) {
        const m = v.match(re);
        if (m) el.setAttribute('aria-label', said(key).replace('%%(label)s', m[1]));
      }
    }
    for (const el of document.querySelectorAll('.min_value, .max_value')) {
      const v = el.textContent.trim();
      if (/^[-\u2212]?\d+([.,]\d+)?$/.test(v) && numeral(v) !== v) el.textContent = numeral(v);
    }
    for (const set of document.querySelectorAll('.confidence-set')) {
      const walker = document.createTreeWalker(set, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const m = n.nodeValue.match(/^(\d+)\u00a0?%%$/);
        const want = m && (lang() === 'es' ? m[1] + '\u00a0%%' : m[1] + '%%');
        if (m && n.nodeValue !== want) n.nodeValue = want;
      }
    }
  }
  let queued = false;
  const soon = () => {
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fix(); }); }
  };
  new MutationObserver(soon).observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label', 'lang']});
})();
"""
# Gradio's own aria-labels, as its front end writes them, and the keys of their texts in text.py
GRADIO_LABELS = {"Reset to default value": "gradio.reset", "Empty value": "gradio.empty"}
GRADIO_WORDS = ("gradio.range", "gradio.number", *GRADIO_LABELS.values())  # every text the script writes


def gradio_words_head() -> str:
    """A <script> for launch(head=...) that writes Gradio's own words and numbers in the page's language."""
    words = {lang: {key: texts[key] for key in GRADIO_WORDS} for lang, texts in TEXTS.items()}
    data = (json.dumps(v, ensure_ascii=False).replace("</", "<\\/") for v in (words, GRADIO_LABELS))
    return "<script>" + GRADIO_WORDS_JS % tuple(data) + "</script>"
