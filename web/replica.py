"""The page's watch over the process that holds its session (static/replica.js) and the sentence it says, for
launch(head=...): behind nginx with several processes (deploy/), a page whose process is lost says so and reloads.
"""
import json
from pathlib import Path

from .i18n import TEXTS, t

SCRIPT = Path(__file__).with_name("static") / "replica.js"
LOST = "replica.lost"  # the sentence's key in text.py


def head() -> str:
    """<script> elements for launch(head=...): the sentence in each language, as JSON, then the script."""
    said = json.dumps({lang: t(LOST, lang) for lang in TEXTS}, ensure_ascii=False).replace("</", "<\\/")
    script = SCRIPT.read_text(encoding="utf-8")
    if "</script" in script.lower():
        raise ValueError(f"{SCRIPT.name} holds </script, which would end its element in the page")
    return f'<script type="application/json" id="replica-text">{said}</script>\n<script>\n{script}</script>\n'
