"""Run directories: --overwrite replaces only runs, only once the new run has a checkpoint; one writer at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ganzoo
from conftest import make_registry
from ganzoo.artifacts import atomic
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.engine.run_directory import RunLock
from ganzoo.errors import RunDirectoryError, TrainingError
from test_training import TINY_MNIST, SpyPlugin, train_tiny


def siblings(path):
    return sorted(p.name for p in path.parent.iterdir())


def test_overwrite_refuses_a_directory_that_is_not_a_run(tmp_path, tiny_mnist_root):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(RunDirectoryError, match="only replaces ganzoo runs") as caught:
        train_tiny(folder, tiny_mnist_root, steps=2, overwrite=True)
    assert "choose another --out" in caught.value.fix
    assert (folder / "holiday.jpg").read_bytes() == b"precious"


def test_overwrite_refuses_the_current_directory_and_its_parents(tmp_path, tiny_mnist_root, monkeypatch):
    run = tmp_path / "runs" / "a"
    train_tiny(run, tiny_mnist_root, steps=2)
    monkeypatch.chdir(run)  # the current directory is itself a run: only the cwd rule refuses it
    for target in (Path("."), Path(".."), tmp_path):
        with pytest.raises(RunDirectoryError, match="refuses to replace"):
            train_tiny(target, tiny_mnist_root, steps=2, overwrite=True)
    assert (run / "checkpoint.pt").is_file()


def test_an_overwriting_run_that_fails_before_its_first_checkpoint_puts_the_old_run_back(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=4)
    before = {name: (run / name).read_bytes() for name in ("checkpoint.pt", "run.json", "config.json")}
    overrides = dict(TINY_MNIST, **{"loss.fail_after": 2, "train.checkpoint_every": 10})
    with pytest.raises(RuntimeError, match="the spy loss failed"):
        ganzoo.train("vanilla-mnist", loss="spy", steps=20, out=run, overwrite=True, data_dir=tiny_mnist_root,
                     overrides=overrides, quiet=True, registry=make_registry(SpyPlugin))  # fmt: skip
    assert {name: (run / name).read_bytes() for name in before} == before
    assert siblings(run) == ["data", "run"]  # nothing left aside


def test_an_overwriting_run_that_diverges_before_its_first_checkpoint_keeps_its_evidence(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=4)
    overrides = dict(TINY_MNIST, **{"loss.nan_after": 2, "train.checkpoint_every": 10, "train.log_every": 1})
    with pytest.raises(TrainingError, match="non-finite"):
        ganzoo.train("vanilla-mnist", loss="spy", steps=20, out=run, overwrite=True, data_dir=tiny_mnist_root,
                     overrides=overrides, quiet=True, registry=make_registry(SpyPlugin))  # fmt: skip
    # A divergence is a result, not a crash: the new run's config, metrics and status replace the old run.
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "diverged" and info["diverged_at_step"] == 2  # D's third loss, after G step 2
    assert json.loads((run / "config.json").read_text())["loss"]["name"] == "spy"
    assert (run / "metrics.jsonl").read_text().count("\n") == 2 and not (run / "checkpoint.pt").exists()
    assert siblings(run) == ["data", "run"]


def test_an_overwriting_run_with_a_checkpoint_replaces_the_old_run(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=4)
    overrides = dict(TINY_MNIST, **{"loss.nan_after": 7, "train.checkpoint_every": 3})
    with pytest.raises(TrainingError, match="non-finite"):
        ganzoo.train("vanilla-mnist", loss="spy", steps=20, out=run, overwrite=True, data_dir=tiny_mnist_root,
                     overrides=overrides, quiet=True, registry=make_registry(SpyPlugin))  # fmt: skip
    assert ckpt.load_checkpoint(run / "checkpoint.pt")["step"] == 6  # the new run's
    assert json.loads((run / "run.json").read_text())["status"] == "diverged"
    train_tiny(run, tiny_mnist_root, steps=3, overwrite=True)
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
    assert siblings(run) == ["data", "run"]


def test_a_run_in_use_is_neither_resumed_nor_overwritten(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=2)
    held = RunLock(run)  # as a live `ganzoo train` holds it
    try:
        before = (run / "checkpoint.pt").read_bytes()
        with pytest.raises(RunDirectoryError, match=r"in use by ganzoo pid \d+ on "):
            ganzoo.train(resume=run, steps=4, quiet=True, data_dir=tiny_mnist_root, download=False)
        with pytest.raises(RunDirectoryError, match="in use"):
            train_tiny(run, tiny_mnist_root, steps=2, overwrite=True)
        assert (run / "checkpoint.pt").read_bytes() == before
    finally:
        held.release()
    ganzoo.train(resume=run, steps=4, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert ckpt.load_checkpoint(run / "checkpoint.pt")["step"] == 4


def test_an_overwrite_that_fails_while_creating_the_new_run_puts_the_old_one_back(tmp_path, tiny_mnist_root,
                                                                                   monkeypatch):  # fmt: skip
    import errno

    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=2)
    before = (run / "checkpoint.pt").read_bytes()

    def disk_full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "atomic_write_bytes", disk_full)
    with pytest.raises(OSError):
        train_tiny(run, tiny_mnist_root, steps=2, overwrite=True)
    monkeypatch.undo()
    assert (run / "checkpoint.pt").read_bytes() == before
    assert siblings(run) == ["data", "run"]
    with pytest.raises(OSError):  # and a fresh --out that fails the same way leaves nothing behind
        monkeypatch.setattr(atomic, "atomic_write_bytes", disk_full)
        train_tiny(tmp_path / "fresh", tiny_mnist_root, steps=2)
    assert not (tmp_path / "fresh").exists()


def test_a_run_started_in_the_directory_meanwhile_is_never_moved_aside(tmp_path, tiny_mnist_root):
    from ganzoo.engine.run_directory import Replacement

    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=2)  # as if another process had started it after our early check
    with pytest.raises(RunDirectoryError, match="already exists"):
        Replacement(run, overwrite=False).start()
    held = RunLock(run)
    try:
        with pytest.raises(RunDirectoryError, match="in use"):
            Replacement(run, overwrite=True).start()
    finally:
        held.release()
    assert (run / "checkpoint.pt").is_file() and siblings(run) == ["data", "run"]


def test_overwriting_through_a_symlink_replaces_the_run_it_points_to(tmp_path, tiny_mnist_root):
    target = tmp_path / "scratch" / "run"
    train_tiny(target, tiny_mnist_root, steps=2)
    link = tmp_path / "link"
    link.symlink_to(target)
    train_tiny(link, tiny_mnist_root, steps=3, overwrite=True)
    assert link.is_symlink() and ckpt.load_checkpoint(target / "checkpoint.pt")["step"] == 3
    assert sorted(p.name for p in target.parent.iterdir()) == ["run"]
