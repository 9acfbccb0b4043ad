from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from mnist_cnn.data import load_mnist


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def test_digits(tmp_path_factory):
    """(path, label) of the first 8 digits of the shipped test split, as PNG files."""
    folder = tmp_path_factory.mktemp("digits")
    images, labels = load_mnist("test")
    out = []
    for i in range(8):
        path = folder / f"{i}.png"
        Image.fromarray(images[i].numpy()).save(path)
        out.append((str(path), str(int(labels[i]))))
    return out


def test_predict_reads_a_test_digit(client, test_digits):
    path, label = test_digits[0]
    result = client.predict(handle_file(path), api_name="/predict")
    assert result["label"] == label
    confidences = {c["label"]: c["confidence"] for c in result["confidences"]}
    assert sorted(confidences) == [str(d) for d in range(10)]
    assert sum(confidences.values()) == pytest.approx(1, abs=1e-4)


def test_blank_image_is_an_error_that_says_blank(client, tmp_path):
    path = tmp_path / "white.png"
    Image.new("L", (200, 200), 255).save(path)
    with pytest.raises(Exception) as e:
        client.predict(handle_file(str(path)), api_name="/predict")
    assert "blank" in str(e.value)
    assert "upstream" not in str(e.value)


def test_not_an_image_is_an_error_with_its_sentence(client, tmp_path):
    path = tmp_path / "notes.png"
    path.write_bytes(b"hello, this is text")
    with pytest.raises(Exception) as e:
        client.predict(handle_file(str(path)), api_name="/predict")
    assert "not an image" in str(e.value)


def test_concurrent_calls_are_all_answered(app_url, client, test_digits):
    # several jobs from one client at once, and more from other clients at the same time
    jobs = [client.submit(handle_file(path), api_name="/predict") for path, _ in test_digits]
    others = [Client(app_url, verbose=False) for _ in range(3)]
    with ThreadPoolExecutor(len(others)) as pool:
        other_results = list(pool.map(lambda c: [c.predict(handle_file(p), api_name="/predict")["label"]
                                                 for p, _ in test_digits], others))
    assert [job.result(timeout=60)["label"] for job in jobs] == [label for _, label in test_digits]
    assert other_results == [[label for _, label in test_digits]] * len(others)
