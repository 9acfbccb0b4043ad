"""The page's watch over its process (mnist_cnn/replica.py, static/replica.js): what it puts in the page's head.
(What it does in a browser when a replica dies: tests/test_deploy.py.)"""
import json
import re

import pytest

from mnist_cnn import replica
from mnist_cnn.text import EN, ES


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
