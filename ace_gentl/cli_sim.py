"""``ace-gentl sim``: what the simulated camera serves, rehearsing with a recording's camera, and reset."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ace_gentl.cli_common import console

#: Lines of refused settings shown before "... and N more".
SHOWN_FAILURES = 20

sim_app = typer.Typer(help="The simulated acA4112-20um GenTL producer; without a command: what each simulated camera "
                           "serves.", invoke_without_command=True)


@sim_app.callback()
def sim_command(
        ctx: typer.Context,
        from_recording: Annotated[Path | None, typer.Option(
            "--from-recording", metavar="FILE",
            help="From now on the simulated camera serves the device XML of this recording, with its start "
                 "settings applied, in every process (ace-gentl record --sim, ace_gentl.open(sim=True), plain "
                 "Harvesters), until `ace-gentl sim reset`.", show_default=False)] = None,
        serial: Annotated[str, typer.Option("--serial", help="Which simulated camera (40000001 is the first).")]
        = "40000001") -> None:
    if ctx.invoked_subcommand is not None:
        if from_recording is not None:
            raise typer.BadParameter(f"give --from-recording without the '{ctx.invoked_subcommand}' command",
                                     param_hint="--from-recording")
        return
    if from_recording is not None:
        _rehearse(from_recording, serial)
    _show_status()


def _rehearse(recording: Path, serial: str) -> None:
    from ace_gentl.sim.devicexml import DEVICE_XML_ENV
    from ace_gentl.sim.powerup import from_recording, state_dir

    done = from_recording(recording, serial=serial)
    out = console()
    what = "register memory" if done.register_memory else "the simulator's camera model"
    out.print(f"camera {done.serial} now starts as the camera of {recording}:", markup=False)
    out.print(f"  serves    {done.served or 'the simulator own XML'} ({what})", markup=False)
    refused = f", {len(done.failures)} refused" if done.failures else ""
    out.print(f"  settings  {done.applied} start settings applied{refused}", markup=False)
    out.print(f"  frames    {done.frame_shape[1]}x{done.frame_shape[0]} {done.pixel_format}", markup=False)
    for note in done.notes:
        out.print(f"  note      {note}", markup=False)
    for name, why in list(done.failures.items())[:SHOWN_FAILURES]:
        out.print(f"  refused   {name}: {why}", markup=False)
    if len(done.failures) > SHOWN_FAILURES:
        out.print(f"  refused   ... and {len(done.failures) - SHOWN_FAILURES} more", markup=False)
    out.print(f"saved in {state_dir()}; `ace-gentl sim reset` forgets it", markup=False)
    if os.environ.get(DEVICE_XML_ENV):
        console(stderr=True).print(f"warning: {DEVICE_XML_ENV} is set here; while it is, the cameras serve that file "
                                   f"instead of the saved state", markup=False)


def _show_status() -> None:
    from ace_gentl.sim import cti_path
    from ace_gentl.sim.powerup import state_dir, status

    out = console()
    out.print(f"producer      {cti_path()}", markup=False)
    out.print(f"state folder  {state_dir()}", markup=False)
    for camera in status():
        out.print(f"camera {camera.serial}  {camera.source}", markup=False)


@sim_app.command("path")
def sim_path() -> None:
    """Print the absolute path of the simulated camera's .cti (put its folder on GENICAM_GENTL64_PATH)."""
    from ace_gentl.sim import cti_path

    typer.echo(str(cti_path()))


@sim_app.command("reset")
def sim_reset(serial: Annotated[str | None, typer.Option(
        "--serial", help="Only this simulated camera (default: every camera with saved state).")] = None,
              ) -> None:
    """Factory state: forget the power-up state (sim --from-recording), user sets, UserSetDefault, DeviceUserID."""
    from ace_gentl.sim.powerup import reset

    done = reset(serial)
    out = console()
    if not done:
        out.print("no simulated camera has saved state (power-up state, user sets)", markup=False)
    for each in done:
        out.print(f"camera {each}: serves the simulator's own XML with factory settings and no user sets from the "
                  f"next start on",
                  markup=False)


__all__ = ["sim_app"]
