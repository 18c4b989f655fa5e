"""Hugging Face Hub models: hf:// through huggingface_hub's real cache code, offline; push against a mocked Hub.

No test reaches the network: downloads read a cache laid out here in huggingface_hub's documented layout
(``models--ORG--NAME/{blobs,refs,snapshots}``) with ``HF_HUB_OFFLINE=1``, and pushes run the real
``HfApi`` code over an HTTP transport that answers as the Hub would and records what was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import ganzoo
from ganzoo.cli import cli
from ganzoo.errors import GanzooError
from ganzoo.artifacts import hub
from ganzoo.artifacts.models import load_model
from ganzoo.publish.publish import publish

huggingface_hub = pytest.importorskip("huggingface_hub")
hub_constants = pytest.importorskip("huggingface_hub.constants")

REPO = "test-org/tiny-ring"
COMMIT_A, COMMIT_B = "a" * 40, "b" * 40
RING_TINY = {"generator.hidden": [8], "discriminator.hidden": [8], "dataset.samples": 256}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two published tiny ring-8 models (different seeds, so different weights)."""
    base = tmp_path_factory.mktemp("hub-models")
    folders = []
    for seed in (0, 1):
        run = base / f"run-{seed}"
        ganzoo.train("ring-8", steps=3, seed=seed, out=run, overrides=RING_TINY, quiet=True)
        folders.append(publish(run, name=f"ring-{seed}", to=base / "published"))
    return folders


def lay_out_cache(cache: Path, repo_id: str, snapshots: dict[str, Path], refs: dict[str, str]) -> Path:
    """huggingface_hub's cache layout: content-addressed blobs, snapshot folders of symlinks, refs naming commits."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    for commit, folder in snapshots.items():
        for file in folder.iterdir():
            data = file.read_bytes()
            blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_bytes(data)
            link = repo / "snapshots" / commit / file.name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(os.path.relpath(blob, link.parent))
    for ref, commit in refs.items():
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
    return repo


@pytest.fixture
def cache(tmp_path, models, monkeypatch):
    """An offline Hub cache holding REPO: main -> A (seed 0), tag v1 -> B (seed 1)."""
    root = tmp_path / "hf-cache"
    lay_out_cache(root, REPO, {COMMIT_A: models[0], COMMIT_B: models[1]}, {"main": COMMIT_A, "v1": COMMIT_B})
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(root))
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return root


def outputs(G: torch.nn.Module) -> torch.Tensor:
    z = torch.randn(16, G.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return G(z)


def test_load_from_the_hub_cache_offline_pinned_to_a_revision(cache, models):
    a, b = outputs(ganzoo.load(models[0])), outputs(ganzoo.load(models[1]))
    assert not torch.equal(a, b)
    assert torch.equal(outputs(ganzoo.load(f"hf://{REPO}")), a)  # the default branch
    assert torch.equal(outputs(ganzoo.load(f"hf://{REPO}@main")), a)
    assert torch.equal(outputs(ganzoo.load(f"hf://{REPO}@v1")), b)  # a tag
    assert torch.equal(outputs(ganzoo.load(f"hf://{REPO}@{COMMIT_B}")), b)  # a commit
    model = load_model(f"hf://{REPO}@v1")
    assert model.path.name == COMMIT_B and model.path.parent.name == "snapshots"


def test_fine_tuning_starts_from_a_hub_model_in_the_cache_offline(cache, models, tmp_path):
    from ganzoo.artifacts import checkpoint as ckpt

    still = {**RING_TINY, "train.lr_g": 1e-12, "train.lr_d": 1e-12}  # one step leaves the weights where they start
    ganzoo.train("ring-8", steps=1, out=tmp_path / "tuned", overrides=still, quiet=True, init=f"hf://{REPO}@v1")
    started = ckpt.load_checkpoint(tmp_path / "tuned" / "checkpoint.pt")["generator"]
    published = ganzoo.load(models[1]).generator.state_dict()
    assert started.keys() == published.keys()
    assert all(torch.allclose(started[k].float(), published[k].float(), atol=1e-6) for k in started)


def test_only_model_files_are_fetched_and_only_safetensors_and_json_are_read(cache, monkeypatch):
    seen = {}
    real = huggingface_hub.snapshot_download

    def spy(*args, **kwargs):
        seen.update(kwargs, repo_id=args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", spy)
    # A repository may hold more than ganzoo wrote; nothing else is unpickled or run.
    snapshot = cache / ("models--" + REPO.replace("/", "--")) / "snapshots" / COMMIT_A
    (snapshot / "pytorch_model.bin").write_bytes(b"not a pickle ganzoo would ever open")
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called on a Hub download"))
    ganzoo.load(f"hf://{REPO}@v1")
    assert seen["repo_id"] == REPO and seen["revision"] == "v1" and seen["local_files_only"] is True
    assert sorted(seen["allow_patterns"]) == sorted(["*.safetensors", "*.json", "README.md", "*.png"])


def test_sample_and_eval_take_hf_in_a_real_process_offline(cache, models, tmp_path):
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    run = lambda *args: subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True,  # noqa: E731
                                       env=env, cwd=tmp_path, timeout=300)  # fmt: skip
    for source, out in ((f"hf://{REPO}@v1", "hub.png"), (str(models[1]), "local.png")):
        done = run("sample", source, "--n", "64", "--seed", "2", "--out", out)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "hub.png").read_bytes() == (tmp_path / "local.png").read_bytes()
    done = run("eval", f"hf://{REPO}", "--n", "500", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["target"] == f"hf://{REPO}" and record["kind"] == "model"
    assert any(m["name"].startswith("modes_covered") for m in record["metrics"])


def test_a_model_missing_from_the_cache_offline_is_an_error_in_words(cache):
    result = CliRunner().invoke(cli, ["sample", "hf://test-org/not-cached", "--out", "x.png"])
    assert result.exit_code == 1 and "is not in the local Hugging Face cache" in result.output
    assert "HF_HUB_OFFLINE is set" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["sample", f"hf://{REPO}@no-such-branch", "--out", "x.png"])
    assert result.exit_code == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("reference", ["hf://", "hf://just-a-name", "hf://../etc/passwd", "hf://org/../x",
                                       "hf://org/name@../../refs", "hf://org--x/name", "hf://org/name.git",
                                       "hf://org/name@", "hf://org/name@/abs", "hf://org/na me", "hf://-org/name"])
def test_hub_names_are_validated_before_huggingface_hub_sees_them(reference, monkeypatch):
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda *a, **k: pytest.fail("a bad name reached the Hub"))
    with pytest.raises(hub.HubError, match="not a valid"):
        ganzoo.load(reference)
    result = CliRunner().invoke(cli, ["sample", reference, "--out", "x.png"])
    assert result.exit_code != 0 and "not a valid" in result.output and "Traceback" not in result.output


def test_without_the_extra_the_error_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # as if not installed
    with pytest.raises(GanzooError, match=r'pip install "torch-ganzoo\[hub\]"'):
        ganzoo.load(f"hf://{REPO}")


class FakeHub:
    """An HTTP transport that answers as the Hub does for create_repo and upload_folder, and keeps the requests."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[tuple[str, str, bytes, dict]] = []

    def __call__(self, request):
        http = sys.modules[type(request).__module__.split(".")[0]]
        self.requests.append((request.method, request.url.path, request.content, dict(request.headers)))
        path = request.url.path
        if self.status != 200 and path.startswith("/api/repos/create"):
            return http.Response(self.status, json={"error": "Invalid credentials in Authorization header"})
        if path == "/api/repos/create":
            return http.Response(200, json={"url": f"https://huggingface.co/{REPO}", "name": REPO})
        if path == "/api/validate-yaml":  # the Hub validates the card; here huggingface_hub's own parser does
            content = json.loads(request.content)["content"]
            try:
                huggingface_hub.ModelCard(content, ignore_metadata_errors=False)
            except Exception as exc:  # noqa: BLE001 - any parse failure is the server's 400
                return http.Response(400, json={"errors": [{"message": str(exc)}]})
            return http.Response(200, json={"errors": [], "warnings": []})
        if "/preupload/" in path:
            files = json.loads(request.content)["files"]
            return http.Response(200, json={"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                                      for f in files]})  # fmt: skip
        if "/commit/" in path:
            return http.Response(200, json={"commitUrl": f"https://huggingface.co/{REPO}/commit/{COMMIT_A}",
                                            "commitOid": COMMIT_A})  # fmt: skip
        return http.Response(404, json={"error": f"not a Hub endpoint in this test: {path}"})

    def committed_files(self) -> dict[str, bytes]:
        (body,) = [content for method, path, content, _ in self.requests if "/commit/" in path]
        files = {}
        for line in body.decode().splitlines():
            item = json.loads(line)
            if item["key"] == "file":
                files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
        return files


@pytest.fixture
def fake_hub(monkeypatch):
    """Route huggingface_hub's HTTP client through FakeHub (its client factory is the supported hook)."""
    session = huggingface_hub.get_session()
    http = sys.modules[type(session).__module__.split(".")[0]]  # httpx, or the client library of this version
    fake = FakeHub()
    huggingface_hub.set_client_factory(lambda: http.Client(transport=http.MockTransport(fake)))
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    yield fake
    huggingface_hub.set_client_factory(lambda: http.Client())
    huggingface_hub.close_session()


def test_publish_push_uploads_exactly_the_published_folder(fake_hub, models, tmp_path):
    runs = models[0].parent.parent
    result = CliRunner().invoke(cli, ["publish", str(runs / "run-0"), "--name", "pushed", "--to", str(tmp_path / "m"),
                                      "--push", REPO, "--private"])  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "m" / "pushed"
    assert f"pushed to {REPO}: https://huggingface.co/{REPO}/commit/{COMMIT_A}" in result.output
    assert f"ganzoo sample hf://{REPO}" in result.output
    create = next(r for r in fake_hub.requests if r[1] == "/api/repos/create")
    sent = json.loads(create[2])
    assert (sent["name"], sent["organization"]) == ("tiny-ring", "test-org")
    assert sent.get("private") is True or sent.get("visibility") == "private"  # the payload of older / newer clients
    assert create[3]["authorization"] == "Bearer hf_test_token"
    files = fake_hub.committed_files()
    assert sorted(files) == ["README.md", "config.json", "model.safetensors", "samples.png"]
    for name, data in files.items():
        assert data == (folder / name).read_bytes()


def test_a_refused_push_keeps_the_local_model_and_says_how_to_log_in(fake_hub, models, tmp_path):
    fake_hub.status = 401
    runs = models[0].parent.parent
    result = CliRunner().invoke(cli, ["publish", str(runs / "run-0"), "--name", "refused", "--to", str(tmp_path / "m"),
                                      "--push", REPO])  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "hf auth login" in result.output and "stays published in" in result.output
    assert (tmp_path / "m" / "refused" / "model.safetensors").is_file()


def test_push_names_are_checked_before_publishing(models, tmp_path):
    runs = models[0].parent.parent
    result = CliRunner().invoke(cli, ["publish", str(runs / "run-0"), "--to", str(tmp_path / "m"), "--push", "no-org"])
    assert result.exit_code == 1 and "not a valid Hub repository name" in result.output
    assert not (tmp_path / "m").exists()
