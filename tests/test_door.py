"""The door's own pieces, without a server: the upload bucket, the page's address."""
import pytest

from web import door
from web.door import Door, Refusal


def test_a_bucket_gives_its_burst_then_one_token_every_period(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(door.time, "monotonic", lambda: now[0])
    bucket = door.Bucket(burst=3, every=2.0)
    assert [bucket.take("a") for _ in range(4)] == [True, True, True, False]
    assert bucket.take("b")  # another address has its own bucket
    now[0] += 1.0
    assert not bucket.take("a")
    now[0] += 1.0
    assert bucket.take("a") and not bucket.take("a")


def test_the_page_s_address_may_ask_for_a_step_and_a_language_and_nothing_else_by_those_names():
    for fine in (b"", b"step=dim1", b"lang=es&step=model", b"view=api", b"__theme=dark&step=class"):
        Door.check_address(fine)
    for bad, key in ((b"step=nope", "error.step"), (b"step=dim1&step=model", "error.step"), (b"step=", "error.step"),
                     (b"step=%3Cscript%3E", "error.step"), (b"lang=fr", "error.lang"), (b"lang=es&lang=en", "error.lang")):
        with pytest.raises(Refusal) as refused:
            Door.check_address(bad)
        assert refused.value.key == key and refused.value.status == 400
