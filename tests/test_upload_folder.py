"""The upload folder's sweeping: old files and the folders they leave empty go, new ones and links' targets stay."""
import os
import time

from web.upload_folder import KEEP, sweep


def aged(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_files_older_than_ten_minutes_go_with_their_empty_folders_and_newer_ones_stay(tmp_path):
    (tmp_path / "a").mkdir()
    old, new, cut = tmp_path / "a" / "old.png", tmp_path / "new.pt", tmp_path / "tmpx1y2"
    for path in (old, new, cut):
        path.write_bytes(b"x")
    aged(old, KEEP + 1)
    aged(cut, 3 * KEEP)  # a cut-off upload of a server since stopped
    assert sweep(tmp_path) == 2
    assert not old.exists() and not cut.exists() and not (tmp_path / "a").exists() and new.exists()


def test_a_link_is_deleted_and_its_target_kept(tmp_path):
    target = tmp_path.parent / f"{tmp_path.name}-target.txt"
    target.write_text("kept")
    folder = tmp_path / "uploads"
    folder.mkdir()
    link = folder / "link"
    link.symlink_to(target)
    aged(link, KEEP + 1)
    aged(target, KEEP + 1)
    assert sweep(folder) == 1
    assert not link.exists() and target.read_text() == "kept"


def test_a_missing_folder_sweeps_nothing(tmp_path):
    assert sweep(tmp_path / "none") == 0


def test_the_app_sweeps_its_upload_folder_as_it_starts(tmp_path, monkeypatch):
    """A cut-off upload left by a server since stopped is gone once `python app.py` serves again."""
    from harness import serving

    stale = tmp_path / "0123abcd" / "tmpcutoff"
    stale.parent.mkdir()
    stale.write_bytes(b"x" * 1000)
    aged(stale, KEEP + 60)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    with serving():
        deadline = time.time() + 10
        while stale.exists() and time.time() < deadline:
            time.sleep(0.2)
    assert not stale.exists() and not stale.parent.exists()
