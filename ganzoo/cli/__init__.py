"""The ``ganzoo`` command line: a thin layer of one module per command.

Commands are imported only when used, so ``ganzoo --help`` stays fast and
never imports torch. Plugins may add commands through ``ganzoo_commands``.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

import click

import ganzoo

#: Built-in command name -> "module:attribute" of its click command.
BUILTIN_COMMANDS = {
    "eval": "ganzoo.cli.eval_cmd:eval_command",
    "list": "ganzoo.cli.list_cmd:list_command",
    "plot": "ganzoo.cli.plot_cmd:plot_command",
    "plugin": "ganzoo.cli.plugin_cmd:plugin_group",
    "plugins": "ganzoo.cli.plugins_cmd:plugins_command",
    "publish": "ganzoo.cli.publish_cmd:publish_command",
    "sample": "ganzoo.cli.sample_cmd:sample_command",
    "train": "ganzoo.cli.train_cmd:train_command",
}


class LazyGroup(click.Group):
    """A group whose built-in commands are imported on first use, plus plugin commands."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(BUILTIN_COMMANDS) | set(_plugin_commands()))

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        target = BUILTIN_COMMANDS.get(name)
        if target is not None:
            module_name, _, attribute = target.partition(":")
            return getattr(importlib.import_module(module_name), attribute)
        return _plugin_commands().get(name)

    def invoke(self, ctx: click.Context) -> Any:
        # The boundary between ganzoo and the shell: what the operating system refuses
        # (a read-only folder, a full disk) is reported in words, not as a traceback.
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            import io
            import os
            import sys

            if _stdout_reader_gone():
                # The reader went away (`ganzoo list | head`): no message can reach it. Exit as a
                # process killed by SIGPIPE would, without Python's flush error at shutdown.
                try:
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                except (OSError, io.UnsupportedOperation):
                    pass
                ctx.exit(141)
            from ganzoo.errors import from_os_error

            raise from_os_error(exc) from None  # another pipe (a worker's, a subprocess's) broke
        except (ConnectionError, TimeoutError) as exc:
            from ganzoo.errors import GanzooError

            raise GanzooError(f"a connection failed: {exc}", "in a multi-process run, another process may have "
                              "stopped or be unreachable", "check the other processes' output and the network, "
                              "then resume the run") from None  # fmt: skip
        except OSError as exc:
            from ganzoo.errors import from_os_error

            raise from_os_error(exc) from None
        except KeyboardInterrupt:
            # Ctrl-C before training started (a stop during training is handled by the
            # engine, which saves a checkpoint): the shell's code for SIGINT, as documented.
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def _stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (poll reports an error on it)."""
    import io
    import select
    import sys

    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
    except (OSError, io.UnsupportedOperation, AttributeError):  # no descriptor, or no poll (Windows)
        return False
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _plugin_commands() -> dict[str, click.Command]:
    from ganzoo.registry import get_registry

    return {
        entry.name: entry.spec.command
        for entry in get_registry().list("command")
        if entry.name not in BUILTIN_COMMANDS  # built-ins cannot be replaced by a plugin
    }


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(ganzoo.__version__, "--version", "-V", prog_name="ganzoo")
def cli() -> None:
    """ganzoo: a plugin-based GAN zoo for PyTorch.

    \b
    Start with:
      ganzoo list                  what the installed plugins provide
      ganzoo train vanilla-mnist   train the vanilla GAN on MNIST
      ganzoo sample vanilla-mnist  samples from the pretrained model

    Datasets are read from --data-dir, else $GANZOO_DATA_DIR, else a per-user
    cache directory (torchvision's layout: ROOT/MNIST/raw/...).
    """


def main(argv: Optional[list[str]] = None) -> Any:
    """The console-script entry point."""
    return cli.main(args=argv, prog_name="ganzoo")
