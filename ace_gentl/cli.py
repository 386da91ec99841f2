"""The ``ace-gentl`` command line: a thin layer over the library."""

from __future__ import annotations

import sys

import typer

from ace_gentl.errors import AceGentlError

app = typer.Typer(help="Record GenICam cameras to NeXus/HDF5; includes a simulated Basler acA4112-20um.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
sim_app = typer.Typer(help="The simulated acA4112-20um GenTL producer.", no_args_is_help=True)
app.add_typer(sim_app, name="sim")

_state = {"debug": False}


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors.")) -> None:
    _state["debug"] = debug


@sim_app.command("path")
def sim_path() -> None:
    """Print the absolute path of the simulated camera's .cti (put its folder on GENICAM_GENTL64_PATH)."""
    from ace_gentl.sim import cti_path

    typer.echo(str(cti_path()))


def main() -> None:
    """Entry point: user errors print one clear line and exit 1, without a traceback unless --debug."""
    try:
        app()
    except AceGentlError as error:
        if _state["debug"]:
            raise
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
