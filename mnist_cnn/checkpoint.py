"""Saving and loading the trained weights: safetensors (no pickle), checked against the SHA-256 in a json beside
them; and the files made from them (mistakes, top patches), tied to that SHA-256."""
import hashlib
import json
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .model import Net

WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "mnist_cnn.safetensors"
FIX = "train them again with `python -m mnist_cnn.train`, or restore the file with `git checkout -- weights/`"


class WeightsError(RuntimeError):
    """The weights file is missing, damaged or belongs to another network."""


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def metadata_path(weights: Path) -> Path:
    """The json that describes a weights file."""
    return Path(weights).with_suffix(".json")


def save(model: Net, path: Path, metadata: dict) -> None:
    """Write the state_dict as safetensors and the metadata, with the file's SHA-256, as json."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    metadata = {**metadata, "sha256": sha256(path)}
    metadata_path(path).write_text(json.dumps(metadata, indent=2) + "\n")


def load_model(path: str | Path = WEIGHTS, check_sha: bool = True) -> Net:
    """A Net in eval mode with the weights from path; any problem raises WeightsError with one clear sentence."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"The weights file {path} is missing: {FIX}.")
    meta = metadata_path(path)
    if check_sha and meta.is_file():
        expected = json.loads(meta.read_text()).get("sha256")
        if expected and expected != sha256(path):
            raise WeightsError(f"The weights file {path} does not match the SHA-256 in {meta.name} "
                               f"(damaged or replaced): {FIX}.")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"The weights file {path} is not a readable safetensors file ({e}): {FIX}.") from None
    model = Net()
    try:
        model.load_state_dict(state)
    except RuntimeError:
        raise WeightsError(f"The weights file {path} belongs to another network (its tensor names or shapes "
                           f"differ from this CNN's): {FIX}.") from None
    return model.eval()


def load_tied(path: Path, weights: Path, error: type[Exception], missing: str, fix: str) -> dict:
    """A json made from these weights (its "weights_sha256" is theirs); error(one sentence with the fix) if the file
    is missing (saying there is no `missing` at path) or was made with other weights."""
    path = Path(path)
    if not path.is_file():
        raise error(f"There is no {missing} at {path}: {fix}.")
    record = json.loads(path.read_text())
    if record.get("weights_sha256") != sha256(weights):
        raise error(f"{path.name} was made with other weights than {Path(weights).name}: {fix}.")
    return record
