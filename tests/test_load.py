"""Many people at once through /predict: every answer is the one that drawing gets alone, and none fails.
(The timing side of this is bench/bench_load.py; here only correctness.)
"""
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client, handle_file

from mnist_cnn.pipeline import confidences, read_digit
from mnist_cnn.strokes import random_drawing

CLIENTS, DRAWINGS = 8, 5


@pytest.fixture(scope="module")
def drawings(tmp_path_factory, dev_samples) -> list[str]:
    """CLIENTS × DRAWINGS PNG files of pen-drawn digits, each drawn differently."""
    folder = tmp_path_factory.mktemp("load")
    rng = random.Random(0)
    samples = dev_samples
    paths = []
    for i in range(CLIENTS * DRAWINGS):
        path = folder / f"{i}.png"
        random_drawing(rng.choice(samples)["strokes"], rng).save(path)
        paths.append(str(path))
    return paths


def test_concurrent_clients_each_get_their_own_answers(app_url, model, drawings):
    alone = {p: confidences(read_digit(model, p)) for p in drawings}
    assert len({max(c, key=c.get) for c in alone.values()}) > 3  # the drawings are of several digits

    def send(paths: list[str]) -> list[dict]:
        client = Client(app_url, verbose=False)
        jobs = [client.submit(handle_file(p), api_name="/predict") for p in paths]  # all at once
        return [job.result(timeout=120) for job in jobs]

    shares = [drawings[i::CLIENTS] for i in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(send, shares))
    for paths, results in zip(shares, answers):
        for path, result in zip(paths, results):
            got = {c["label"]: c["confidence"] for c in result["confidences"]}
            assert got.keys() == alone[path].keys()
            assert max(abs(got[k] - alone[path][k]) for k in got) < 1e-6, path
