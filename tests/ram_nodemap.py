"""A GenICam XML on a RAM register space: a GenApi node map with no camera behind it.

GenApi (genicam) loads the XML into a NodeMap and its ``Device`` port is connected to
:class:`RamPort`, a sparse byte space in Python: zero-filled like the simulator's RAM space
(or filled with seeded pseudo-random bytes, to reach states real registers can be in:
values no enumeration entry names, NaN floats, bytes that are not UTF-8); writes read back.
Chunk and event ports stay unconnected, as on a camera before the first frame or event.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from genicam.genapi import AbstractPort, EAccessMode, NodeMap

CORPUS = Path(__file__).parent / "data" / "nodemaps"
#: The port name the corpus maps use for the device's registers (the GenTL remote device port's name).
PORT_NAME = "Device"
_PAGE = 4096


def corpus_paths() -> list[Path]:
    """Every XML of the corpus, sorted by name."""
    return sorted(CORPUS.glob("*.xml"))


class RamPort(AbstractPort):
    """A sparse register space: pages appear on first touch, zero-filled or from ``seed``."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__()
        self.seed = seed
        self.pages: dict[int, bytearray] = {}
        self.reads = 0
        self.writes = 0

    def _page(self, number: int) -> bytearray:
        page = self.pages.get(number)
        if page is None:
            if self.seed is None:
                page = bytearray(_PAGE)
            else:
                page = bytearray(random.Random(self.seed * 1_000_003 + number).randbytes(_PAGE))
            self.pages[number] = page
        return page

    def peek(self, address: int, length: int) -> bytes:
        out = bytearray()
        while length > 0:
            number, offset = divmod(address, _PAGE)
            take = min(length, _PAGE - offset)
            out += self._page(number)[offset:offset + take]
            address, length = address + take, length - take
        return bytes(out)

    def poke(self, address: int, data: bytes) -> None:
        data = bytes(data)
        while data:
            number, offset = divmod(address, _PAGE)
            take = min(len(data), _PAGE - offset)
            self._page(number)[offset:offset + take] = data[:take]
            address, data = address + take, data[take:]

    # --- GenApi's port interface (genicam.genapi.AbstractPort) ---------------------------------

    def is_open(self) -> bool:
        return True

    def open(self, _port: object) -> None:
        pass

    def close(self) -> None:
        pass

    def get_access_mode(self) -> EAccessMode:
        return EAccessMode.RW

    def read(self, address: int, length: int) -> bytes:
        self.reads += 1
        return self.peek(address, length)

    def write(self, address: int, value: bytes) -> None:
        self.writes += 1
        self.poke(address, value)


@dataclass
class RamNodeMap:
    """A loaded corpus map; keep this object alive as long as the node map is used (it owns the port)."""

    path: Path
    node_map: NodeMap
    port: RamPort
    _keep: list[object] = field(default_factory=list, repr=False)


def load(path: Path, seed: int | None = None) -> RamNodeMap:
    """Load ``path`` into GenApi and connect its Device port to a fresh RAM space (zero-filled without ``seed``)."""
    node_map = NodeMap()
    node_map.load_xml_from_file(str(path))
    port = RamPort(seed)
    if not node_map.connect(port, PORT_NAME):
        raise ValueError(f"{path.name}: no Port node named {PORT_NAME!r}")
    return RamNodeMap(path, node_map, port)
