"""The door's own pieces, without a server: the upload bucket."""
from web import door


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
