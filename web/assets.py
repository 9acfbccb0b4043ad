"""The page's JavaScript, CSS and HTML templates: files in web/static/, each read once, at start, by static()."""
import functools
from pathlib import Path

FOLDER = Path(__file__).with_name("static")


@functools.cache
def static(name: str) -> str:
    """The text of web/static/<name> without its final newline, read once; a missing file fails at once, by name."""
    path = FOLDER / name
    if path.parent != FOLDER:  # a bare file name: nothing outside the folder is read
        raise ValueError(f"{name!r} is not a file name of web/static/")
    try:
        return path.read_text(encoding="utf-8").removesuffix("\n")
    except FileNotFoundError:
        raise FileNotFoundError(f"web/static/{name} is missing: the page's scripts and styles are read from there")
