"""A throw-away virtual environment that sees this interpreter's packages (ganzoo, torch) for install tests."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

#: The .pth file that hands the running interpreter's site folders to the throw-away environment.
PARENT_SITE_PTH = "_ganzoo_tests_parent_site.pth"


def parent_site_dirs() -> list[str]:
    """The site-packages folders of the running interpreter, in its own order (a venv's first, then its base's)."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]


def make_venv(folder: Path) -> Path:
    """A venv that sees the *running* interpreter's packages; its python.

    ``python -m venv --system-site-packages`` run from inside a virtual
    environment builds on the base interpreter and sees the base's packages,
    not the running environment's, so ganzoo and torch installed in the user's
    venv would be missing (or another copy of ganzoo would be found). A .pth
    file adds the running interpreter's site folders with ``site.addsitedir``,
    which also runs their own .pth files (an editable install's finder); the new
    environment's own site-packages still comes first, so what a test installs
    there wins.
    """
    # --without-pip: the venv then uses this interpreter's pip and setuptools rather than
    # the old setuptools ensurepip bundles (which cannot build a wheel offline).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"], check=True,
                              capture_output=True, text=True, timeout=60).stdout.strip()  # fmt: skip
    line = f"import site; list(map(site.addsitedir, {parent_site_dirs()!r}))\n"  # one line: .pth files run lines alone
    (Path(own_site) / PARENT_SITE_PTH).write_text(line, encoding="utf-8")
    return python


class PluginEnv:
    """A venv that sees this interpreter's packages: pip installs into it only, offline, without build isolation."""

    def __init__(self, folder: Path, data_root: Path) -> None:
        self.python = make_venv(folder)
        self.env = {**os.environ, "GANZOO_DATA_DIR": str(data_root), "PIP_NO_INDEX": "1",
                    "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
        self.env.pop("GANZOO_DISABLE_PLUGIN_AUTOLOAD", None)

    def run(self, *args: str, cwd: Path | None = None, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
        done = subprocess.run([str(self.python), *args], capture_output=True, text=True, env=self.env, cwd=cwd,
                              timeout=timeout)  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def pip_install(self, path: Path) -> None:
        self.run("-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q", str(path))

    def pip_uninstall(self, name: str) -> None:
        self.run("-m", "pip", "uninstall", "-y", "-q", name)

    def listing(self) -> list[dict]:
        """``ganzoo list --json`` of a real ganzoo process in this environment."""
        return json.loads(self.run("-m", "ganzoo", "list", "--json").stdout)["entries"]
