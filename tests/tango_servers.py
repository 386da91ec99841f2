"""Tango device servers of the simulated cameras for the tests: each `ace-gentl serve --tango` on a free
loopback port, without a Tango database, stopped (or killed) by the test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

STARTUP_S = 60.0  # two cores shared with other work: a cold start of python + pytango + the producer


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[str]
    log: Path

    @property
    def trl(self) -> str:
        return f"tango://127.0.0.1:{self.port}/{self.name}#dbase=no"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def start(name: str, serial: str, log_dir: Path, *extra: str) -> Server:
    port = free_port()
    log = log_dir / f"{name.replace('/', '_')}.log"
    handle = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ace_gentl.cli", "serve", "--tango", name, "--sim", "--serial", serial,
         "--nodb", "--port", str(port), "--host", "127.0.0.1", *extra],
        stdout=handle, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return Server(name, port, process, log)


def wait_ready(servers: list[Server]) -> None:
    deadline = time.monotonic() + STARTUP_S
    for server in servers:
        while "ACE_GENTL_TANGO_READY" not in server.log.read_text():
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited ({server.process.returncode}):\n{server.log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} not ready after {STARTUP_S} s:\n{server.log.read_text()}")
            time.sleep(0.1)
