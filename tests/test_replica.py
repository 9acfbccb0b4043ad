"""The page's watch over its process (web/replica.py, static/replica.js): what it puts in the page's head, and
in Chromium, a page whose one process (no nginx) was started again. (Behind nginx, a replica killed:
tests/test_deploy.py.)"""
import json
import re

import pytest
from playwright.sync_api import expect

from harness import draw, free_port, open_app, serving
from web import replica
from web.text import EN, ES


def test_the_head_holds_the_sentence_in_both_languages_then_the_script():
    head = replica.head()
    said = re.search(r'<script type="application/json" id="replica-text">(.*?)</script>', head, re.S)
    assert json.loads(said.group(1)) == {"en": EN["replica.lost"], "es": ES["replica.lost"]}
    assert head.index('id="replica-text"') < head.index("window.fetch")  # the script reads the texts when it runs
    assert head.count("</script>") == 2


def test_a_sentence_cannot_end_its_element(monkeypatch):
    monkeypatch.setitem(EN, "replica.lost", "</script><script>alert(1)</script>")
    assert "</script><script>alert" not in replica.head()


def test_a_script_that_would_end_its_element_is_refused(monkeypatch, tmp_path):
    script = tmp_path / "replica.js"
    script.write_text("console.log('</SCRIPT>');")
    monkeypatch.setattr(replica, "SCRIPT", script)
    with pytest.raises(ValueError, match="</script"):
        replica.head()


def test_an_idle_page_whose_process_started_again_says_so_and_is_fresh(browser, digit_strokes):
    """`python app.py` stopped and started again on its port while a page that had read a drawing sits idle: the
    page says the sentence (the new process's app_id is not its process's) and reads the next drawing."""
    port = free_port()
    with serving("app.py", port) as (_, url):
        page = open_app(browser, url)
        draw(page, digit_strokes["7"])
        expect(page.locator("#prediction .output-class")).to_have_text("7", timeout=30_000)
    with serving("app.py", port):
        expect(page.locator("#replica-lost")).to_have_text(EN["replica.lost"], timeout=30_000)
        page.wait_for_function("() => document.querySelector('#draw canvas[data-ready]')")
        page.wait_for_timeout(1000)
        draw(page, digit_strokes["1"])
        expect(page.locator("#prediction .output-class")).to_have_text("1", timeout=30_000)
    page.context.close()
