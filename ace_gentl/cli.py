"""The ``ace-gentl`` command line: a thin layer over the library.

Exit codes: 0 success, 1 an error of ace_gentl (one line ``error: ...`` on stderr, the
traceback only with ``--debug``), 2 a usage error (bad option or argument), 130 a recording
stopped by Ctrl-C (the file is finished cleanly).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ace_gentl import cli_common
from ace_gentl.errors import AceGentlError

_state = {"debug": False}


class _Commands(TyperGroup):
    """Turns errors of ace_gentl into one line and exit code 1 (also when tests invoke the app in-process)."""

    def invoke(self, ctx: Any) -> Any:  # click's Context; newer typer vendors its own click
        try:
            return super().invoke(ctx)
        except AceGentlError as error:
            if _state["debug"]:
                raise
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(cls=_Commands, help="Record GenICam cameras to NeXus/HDF5; includes a simulated Basler "
                                      "acA4112-20um (use --sim).",
                  no_args_is_help=True, pretty_exceptions_enable=False, context_settings={"max_content_width": 110})


def _version(value: bool) -> None:
    if value:
        from ace_gentl import __version__

        typer.echo(f"ace-gentl {__version__}")
        raise typer.Exit()


@app.callback()
def _options(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
             version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                   help="Print the version and exit.")] = False) -> None:
    _state["debug"] = debug


@app.command("serve")
def serve_command(
        tango: Annotated[str, typer.Option("--tango", metavar="NAME",
                                           help="Tango device name (domain/family/member) to serve the camera as.")],
        serial: cli_common.Serial = None, model: cli_common.Model = None, user_id: cli_common.UserId = None,
        index: cli_common.Index = None, cti: cli_common.Cti = None, sim: cli_common.Sim = False,
        nodb: Annotated[bool, typer.Option("--nodb", help="No Tango database (tests, one-off use): clients use "
                                                          "tango://HOST:PORT/NAME#dbase=no.")] = False,
        port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="TCP port (required with --nodb).")] = None,
        host: Annotated[str | None, typer.Option("--host", help="Listen on this address only (e.g. 127.0.0.1).")] = None,
        instance: Annotated[str | None, typer.Option("--instance", help="Server instance name (default: NAME with "
                                                                        "/ replaced by _).")] = None,
        register: Annotated[bool, typer.Option("--register", help="Add the device to the Tango database "
                                                                  "(TANGO_HOST) before serving.")] = False,
        compression: Annotated[str | None, typer.Option("--compression", help="Compression of the files "
                                                                              "(default blosc-lz4).")] = None) -> None:
    """Serve a camera as a Tango device (class GenTLCamera) until killed; needs the [tango] extra."""
    try:
        from ace_gentl.bluesky import tango_server
    except ImportError as error:
        raise AceGentlError(f"serve --tango needs pytango and ophyd-async: pip install 'ace-gentl[tango]' "
                            f"({error})") from None
    selection = cli_common.choice(serial, model, user_id, index, cti, sim).open_kwargs()
    options = {"compression": compression} if compression else {}
    try:
        tango_server.serve(tango, selection, instance=instance, nodb=nodb, port=port, host=host,
                           register=register, recorder_options=options)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _register() -> None:
    from ace_gentl import cli_camera, cli_files, cli_record
    from ace_gentl.cli_sim import sim_app

    app.add_typer(sim_app, name="sim")
    cli_camera.register(app)
    cli_record.register(app)
    cli_files.register(app)


_register()


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
