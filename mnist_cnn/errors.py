"""What a visitor sent that cannot be used: a text.py key and its values, told in the page's language by i18n."""


class InputError(ValueError):
    """An input that cannot be used (an image, a drawing, a weights file...): the key of its sentence in text.py and
    the values that fill it in. str() is the key; i18n.sentence() gives the sentence in a language."""

    def __init__(self, key: str, **values) -> None:
        self.key, self.values = key, values
        super().__init__(key)


class BlankImageError(InputError):
    """Nothing is drawn: no ink, or only a stray dot."""
