"""A throw-away virtual environment that sees this interpreter's packages (ganzoo, torch) for install tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


class PluginEnv:
    """A venv with ``--system-site-packages``: pip installs into it only, offline, without build isolation."""

    def __init__(self, folder: Path, data_root: Path) -> None:
        # --without-pip: the venv then uses this interpreter's pip and setuptools rather than
        # the old setuptools ensurepip bundles (which cannot build a wheel offline).
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(folder)],
                       check=True, timeout=120)  # fmt: skip
        self.python = folder / "bin" / "python"
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
