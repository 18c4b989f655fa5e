"""Models on the Hugging Face Hub: ``hf://ORG/NAME[@REVISION]`` downloads and ``ganzoo publish --push``.

Needs the optional extra ``hub`` (``pip install "torch-ganzoo[hub]"``, which
adds huggingface_hub); nothing here imports it until a Hub model is used.

Downloads go through huggingface_hub's own cache (``snapshot_download``), so
a model fetched once works offline afterwards (``HF_HUB_OFFLINE=1``), and a
revision -- a branch, a tag or a commit -- pins what is loaded. Only the files
a published model consists of are fetched (safetensors, JSON, the card and
the sample picture), and of those ganzoo reads only ``model.safetensors`` and
``config.json``: nothing downloaded is ever executed or unpickled.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ganzoo.errors import GanzooError

SCHEME = "hf://"
#: What a download fetches: a published model's files, nothing that could hold code.
ALLOW_PATTERNS = ["*.safetensors", "*.json", "README.md", "*.png"]
#: What a push uploads from a published folder.
PUSH_PATTERNS = ["model.safetensors", "config.json", "README.md", "samples.png"]
HUB_EXTRA_HINT = 'pip install "torch-ganzoo[hub]"'

# Hub repository names: letters, digits, '-', '_', '.'; starting and ending with a letter or digit; at most 96.
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"{_PART}/{_PART}")
# A branch, a tag or a commit hash. huggingface_hub joins it into a cache path, so no '..' and no leading '/'.
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")


class HubError(GanzooError):
    """A Hub model that cannot be named, fetched or pushed as asked."""


@dataclass(frozen=True)
class HubReference:
    """A parsed ``hf://ORG/NAME[@REVISION]``."""

    repo_id: str
    revision: Optional[str] = None

    def __str__(self) -> str:
        return SCHEME + self.repo_id + (f"@{self.revision}" if self.revision else "")


def is_hub_reference(argument: object) -> bool:
    """Whether a model argument names a Hub model (``hf://...``)."""
    return isinstance(argument, str) and argument.startswith(SCHEME)


def validate_repo_id(repo_id: str, what: str = "Hub repository") -> str:
    """``repo_id`` if it is a valid ``ORG/NAME``, else a :class:`HubError`."""
    if not _REPO_ID.fullmatch(repo_id) or "--" in repo_id or ".." in repo_id or repo_id.endswith(".git"):
        raise HubError(
            f"{repo_id!r} is not a valid {what} name",
            "a Hub model is ORG/NAME: each part letters, digits, '-', '_' or '.', starting and ending with a letter "
            "or digit, at most 96 characters, without '--' or '..'",
            "write it as ORG/NAME, e.g. my-org/my-ring",
        )
    return repo_id


def parse_reference(reference: str) -> HubReference:
    """Parse and validate ``hf://ORG/NAME[@REVISION]``."""
    if not is_hub_reference(reference):
        raise HubError(f"{reference!r} is not a Hub model", f"Hub models are written {SCHEME}ORG/NAME[@REVISION]",
                       f"write {SCHEME}ORG/NAME")  # fmt: skip
    body = reference[len(SCHEME):]
    repo_id, at, revision = body.partition("@")
    validate_repo_id(repo_id, "Hub model")
    if at:
        if not _REVISION.fullmatch(revision) or ".." in revision or "//" in revision or revision.endswith("/"):
            raise HubError(
                f"{revision!r} in {reference!r} is not a valid revision",
                "a revision is a branch, a tag or a commit hash: letters, digits, '.', '_', '-' and '/', without '..'",
                f"write {SCHEME}{repo_id}@main, @v1.0 or @<commit hash>",
            )
    return HubReference(repo_id, revision if at else None)


def require_hub() -> Any:
    """The huggingface_hub module, or a :class:`HubError` naming the extra that installs it."""
    try:
        import huggingface_hub
    except ImportError:
        raise HubError("Hugging Face Hub support is not installed", "it is the optional extra 'hub' (huggingface_hub)",
                       HUB_EXTRA_HINT) from None  # fmt: skip
    return huggingface_hub


def _offline() -> bool:
    # huggingface_hub reads HF_HUB_OFFLINE once, at import; reading it per call makes a process that set it
    # later (a notebook, a test) use only the cache too. Same spelling of "true" as huggingface_hub's.
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def download(reference: str | HubReference) -> Path:
    """The local folder of a Hub model: fetched into (or found in) huggingface_hub's cache.

    With ``HF_HUB_OFFLINE=1``, or without a connection, only the cache is used.
    """
    ref = parse_reference(reference) if isinstance(reference, str) else reference
    hub = require_hub()
    import ganzoo
    from huggingface_hub import errors as hub_errors

    offline = _offline()
    try:
        folder = hub.snapshot_download(ref.repo_id, repo_type="model", revision=ref.revision,
                                       allow_patterns=ALLOW_PATTERNS, local_files_only=offline,
                                       library_name="ganzoo", library_version=ganzoo.__version__)  # fmt: skip
    except hub_errors.RevisionNotFoundError:
        raise HubError(f"{ref} has no revision {ref.revision!r}", "no branch, tag or commit of that name exists",
                       f"check the revision, or drop @{ref.revision} for the default branch") from None  # fmt: skip
    except (hub_errors.RepositoryNotFoundError, hub_errors.GatedRepoError):
        raise HubError(f"the Hub has no model {ref.repo_id!r} that you may read",
                       "it does not exist, or it is private or gated and no valid token was sent",
                       "check the name; for a private model log in (hf auth login) or set HF_TOKEN") from None  # fmt: skip
    except hub_errors.LocalEntryNotFoundError:
        why = "HF_HUB_OFFLINE is set" if offline else "the Hub could not be reached"
        raise HubError(f"{ref} is not in the local Hugging Face cache and cannot be downloaded", why,
                       "download it once with a connection (unset HF_HUB_OFFLINE), then it works offline") from None  # fmt: skip
    except hub_errors.HfHubHTTPError as exc:
        raise HubError(f"downloading {ref} failed", str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                       "try again later, or check the name and your token") from None  # fmt: skip
    path = Path(folder)
    if not (path / "model.safetensors").is_file():
        raise HubError(f"{ref} holds no model.safetensors", "it is not a model published by `ganzoo publish`",
                       "give a Hub model pushed with `ganzoo publish RUN --push ORG/NAME`")  # fmt: skip
    return path


def push(folder: str | Path, repo_id: str, *, private: bool = False, token: Optional[str] = None) -> str:
    """Upload a published model folder to the Hub repository ``repo_id`` (created if needed); its URL.

    Only the four files of a published model are uploaded.
    """
    validate_repo_id(repo_id)
    hub = require_hub()
    from huggingface_hub import errors as hub_errors

    folder = Path(folder)
    api = hub.HfApi(token=token)
    try:
        repo = api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        commit = api.upload_folder(repo_id=repo_id, repo_type="model", folder_path=str(folder),
                                   allow_patterns=PUSH_PATTERNS, commit_message=f"ganzoo publish {folder.name}")  # fmt: skip
    except hub_errors.LocalTokenNotFoundError:
        raise HubError(f"pushing {folder} to {repo_id} needs a Hugging Face token", "none is saved or set",
                       f"log in with 'hf auth login' or set HF_TOKEN; the model stays published in {folder}") from None  # fmt: skip
    except hub_errors.HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        why = ("the Hub refused the token, or there is none" if status in (401, 403)
               else str(exc).splitlines()[0] if str(exc) else type(exc).__name__)  # fmt: skip
        raise HubError(f"pushing {folder} to {repo_id} failed", why,
                       "log in with 'hf auth login' or set HF_TOKEN to a token that may write to it; the model "
                       f"stays published in {folder}") from None  # fmt: skip
    except (OSError, ConnectionError) as exc:
        raise HubError(f"pushing {folder} to {repo_id} failed", f"the Hub could not be reached ({exc})",
                       f"try again with a connection; the model stays published in {folder}") from None  # fmt: skip
    url = getattr(repo, "url", None) or str(repo)
    return str(getattr(commit, "commit_url", None) or url)
