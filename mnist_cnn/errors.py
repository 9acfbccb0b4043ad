"""What a visitor sent that cannot be used: the key of its sentence and its values; the page (web/i18n.py) tells it in
the page's language."""
import re

KEY = re.compile(r"error\.[a-z0-9_]+")  # every sentence of a bad input has a key of this shape


class InputError(ValueError):
    """An input that cannot be used (an image, a drawing, a weights file...): the key of its sentence in text.py and
    the values that fill it in. str() is the key; web/i18n.sentence() gives the sentence in a language."""

    def __init__(self, key: str, **values) -> None:
        self.key, self.values = key, values
        super().__init__(key)


class BlankImageError(InputError):
    """Nothing is drawn: no ink, or only a stray dot."""
