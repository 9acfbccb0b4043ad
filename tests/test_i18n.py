"""The two languages' number formats and texts (web/i18n.py): known answers in English and Spanish."""
import pytest

from web import i18n
from web.text import EN, ES


@pytest.mark.parametrize("v, decimals, en, es", [(0.872, 3, "0.872", "0,872"), (-0.872, 3, "−0.872", "−0,872"),
                                                 (-0.0001, 3, "0.000", "0,000"), (1.5, 1, "1.5", "1,5")])
def test_numbers_have_a_true_minus_and_a_decimal_comma_in_spanish(v, decimals, en, es):
    assert i18n.number(v, "en", decimals) == en and i18n.number(v, "es", decimals) == es


@pytest.mark.parametrize("n, en, es", [(3136, "3,136", "3136"), (10_000, "10,000", "10\u00a0000"), (999, "999", "999")])
def test_thousands_are_grouped_from_10_000_in_spanish_with_a_no_break_space(n, en, es):
    assert i18n.integer(n, "en") == en and i18n.integer(n, "es") == es


def test_percentages_take_a_no_break_space_in_spanish():
    assert i18n.percent(0.75, "en") == "75%" and i18n.percent(0.75, "es") == "75\u00a0%"
    assert i18n.percent(0.9963, "es", 1) == "99,6\u00a0%"


def test_short_numbers_keep_three_digits():
    assert i18n.short(-4.981, "es") == "−4,98" and i18n.short(0.5, "en") == "0.5"


def test_texts_are_filled_in_the_language_s_format():
    assert i18n.t("learning.snapshot", "es", i=3, last=12, epochs=15).startswith("Instantánea 3 de 12")
    assert "10\u00a0000" in i18n.t("own.model.shipped", "es", accuracy="99,4\u00a0%", n=1000, per=100, total=10_000)
    assert i18n.language("es-ES") == "es" and i18n.language(None) == "en"


def test_every_new_text_is_in_both_languages():
    for key in ("error.erased", "alt.input28.moved", "alt.input28.erased", "plot.line", "learning.snapshot",
                "filter-top.blank"):
        assert EN[key] and ES[key] and EN[key] != ES[key]


def test_gradio_s_own_words_are_given_to_the_page_in_both_languages():
    head = i18n.gradio_words_head()
    assert head.startswith('<script type="application/json" id="gradio-words">') and head.endswith("</script>")
    assert head.count("</script") == 2  # the texts as data, then the script (web/static/gradio-words.js)
    for key in i18n.GRADIO_WORDS:
        assert EN[key] in head and ES[key] in head
    assert "range slider for" in head and ".min_value" in head and ".confidence-set" in head  # what it rewrites
