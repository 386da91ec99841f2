"""Recording frames into NeXus/HDF5: ``session.record(...)``, ``session.recorder(...)``, ``open_recording``.

Modules: :mod:`compression` (filters and chunk bytes), :mod:`layout` (NeXus structure),
:mod:`metadata` (versions, producer, XML, host), :mod:`writer` (HDF5, direct chunk writes, SWMR),
:mod:`pipeline` (byte-bounded queue, compression workers, writer thread), :mod:`engine` (frames
from the camera), :mod:`recorder` (the run), :mod:`progress`, :mod:`reader`, :mod:`repair`.
"""

from __future__ import annotations

from ace_gentl.recording.compression import Compression
from ace_gentl.recording.progress import Progress
from ace_gentl.recording.reader import LazyFrames, Recording, Summary, open_recording, summary
from ace_gentl.recording.recorder import Recorder, RecordingResult, record
from ace_gentl.recording.repair import RepairReport, needs_repair, repair

__all__ = ["Compression", "LazyFrames", "Progress", "Recorder", "Recording", "RecordingResult", "RepairReport",
           "Summary", "needs_repair", "open_recording", "record", "repair", "summary"]
