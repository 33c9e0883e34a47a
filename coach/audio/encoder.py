"""PCM blocks to a tagged CBR MP3, written atomically, encoded by ffmpeg while the mixer runs.

ffmpeg (libmp3lame) records the encoder delay and padding in its LAME/Info header, so decoders trim them
and cues land on the plan uncompensated; `audio.lametag` makes that header true for the whole track, also
when its parts were encoded side by side. Our own ID3v2.3 tag (`audio.id3`) is prepended to its frames.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from coach.audio.id3 import ChapterMark, Tags, id3_tag, tag_length
from coach.errors import EnvironmentProblem, UsageError
from coach.interrupts import scratch_path

INSTALL_FFMPEG = "install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg)"
OTHER_FOLDER = "choose another folder with -o"

# CBR bitrates (kbps) each MPEG version allows; ffmpeg would silently clamp any other value.
_MPEG2_KBPS = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG1_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
BITRATES_KBPS = {16000: _MPEG2_KBPS, 22050: _MPEG2_KBPS, 24000: _MPEG2_KBPS,
                 32000: _MPEG1_KBPS, 44100: _MPEG1_KBPS, 48000: _MPEG1_KBPS}


def encode_mp3(blocks: Iterable[bytes], path: Path, *, rate: int, tags: Tags, chapters: Sequence[ChapterMark],
               bitrate_kbps: int = 64, on_block: Callable[[int], None] | None = None) -> None:
    """Encode mono s16le `blocks` to a CBR MP3 at `path`; on any failure `path` is left as it was.

    `on_block(nbytes)` runs after each block reaches the encoder, for progress.
    """
    encode_mp3_parts([blocks], path, rate=rate, tags=tags, chapters=chapters, bitrate_kbps=bitrate_kbps,
                     on_block=on_block)


def encode_mp3_parts(parts: Sequence[Iterable[bytes]], path: Path, *, rate: int, tags: Tags,
                     chapters: Sequence[ChapterMark], bitrate_kbps: int = 64,
                     on_block: Callable[[int], None] | None = None, started: Encoders | None = None) -> None:
    """`encode_mp3` of the parts played one after the other, each part encoded by its own ffmpeg at once
    (those of `started` first, made for the same `path`, rate and bitrate).

    Every part but the last must hold a whole number of MP3 frames and end in at least
    `JOIN_SILENCE` samples of digital silence (see `audio.joins`), so the parts join seamlessly.
    """
    from coach.audio.lametag import join_parts, samples_per_frame  # numpy: not for `coach --help`

    tag = id3_tag(tags, chapters)
    path = Path(path)
    # Beside the target, so the final rename stays on one filesystem.
    with contextlib.ExitStack() as scratch:
        audio, tagged = (scratch.enter_context(scratch_path(path.parent, f".{path.name}.{name}-"))
                         for name in ["partial", "tagged"])
        _create(audio)
        encoders = started or scratch.enter_context(Encoders(path, rate, bitrate_kbps, len(parts)))
        running = encoders.take(len(parts))
        counts = _encode_all(running, parts, on_block)
        frame = samples_per_frame(rate)
        if any(count % frame for count in counts[:-1]):
            raise ValueError(f"every part but the last must hold whole frames of {frame} samples: {counts}")
        join_parts([encoder.out for encoder in running], [count // frame for count in counts[:-1]] + [None], audio,
                   sum(counts), rate)
        _prepend(tag, audio, tagged)
        os.replace(tagged, path)


def find_ffmpeg(rate: int, bitrate_kbps: int) -> str:
    """The ffmpeg that will encode an MP3 at this rate and bitrate: a UsageError for a bitrate the rate
    cannot have, an EnvironmentProblem without ffmpeg (asked before any work that would be lost)."""
    if bitrate_kbps not in BITRATES_KBPS[rate]:
        choices = ", ".join(map(str, BITRATES_KBPS[rate]))
        raise UsageError(f"an MP3 at {rate} Hz cannot be {bitrate_kbps} kbps; choose one of {choices}")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise EnvironmentProblem("no MP3 encoder: ffmpeg is not installed", INSTALL_FFMPEG)
    return ffmpeg


class Encoders:
    """ffmpeg processes for the parts of one MP3, started before its audio is ready: a start costs 30 ms
    of a core, which a render then spends while it compiles (on a core that is idle then) rather than
    when every core encodes. Stopped, and their files removed, on leaving the `with`."""

    def __init__(self, path: Path, rate: int, bitrate_kbps: int, count: int):
        self.ffmpeg = find_ffmpeg(rate, bitrate_kbps)
        self.path, self.rate, self.bitrate_kbps, self.count = Path(path), rate, bitrate_kbps, count
        self._stack = contextlib.ExitStack()
        self._started: list[_Encoder] = []

    def __enter__(self) -> Encoders:
        try:
            self._start(self.count)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *problem) -> None:
        self._stack.close()

    def take(self, count: int) -> list[_Encoder]:
        """The encoders of `count` parts, the first writing the Info frame: those started, with more
        started if there are too few; the rest are stopped."""
        self._start(count - len(self._started))
        for spare in self._started[count:]:
            spare.kill()
        return self._started[:count]

    def _start(self, count: int) -> None:
        for _ in range(count):
            # Beside the target, so the final rename stays on one filesystem.
            out = self._stack.enter_context(scratch_path(self.path.parent, f".{self.path.name}.part-"))
            encoder = _Encoder(self.ffmpeg, out, self.rate, self.bitrate_kbps, first=not self._started)
            self._started.append(self._stack.enter_context(encoder))


def retag_mp3(path: Path, tags: Tags, chapters: Sequence[ChapterMark]) -> None:
    """Give one of our MP3s a new tag, its audio frames untouched: the same bytes a new encode would
    write, in a fraction of the time. Atomic, like `encode_mp3`."""
    tag = id3_tag(tags, chapters)
    path = Path(path)
    with scratch_path(path.parent, f".{path.name}.partial-") as retagged:
        _prepend(tag, path, retagged, old_tag=True)
        os.replace(retagged, path)


def _create(path: Path) -> None:
    """An empty file (mode from the umask), made now so an unwritable folder fails before any work."""
    try:
        with open(path, "xb"):
            pass
    except OSError as problem:
        raise EnvironmentProblem(f"cannot write in {path.parent} ({problem.strerror})", OTHER_FOLDER) from None


def _encode_all(encoders: Sequence[_Encoder], parts: Sequence[Iterable[bytes]],
                on_block: Callable[[int], None] | None) -> list[int]:
    """Feed each part to its encoder, all at once, and return how many samples each got.

    This thread feeds the first part (so Ctrl-C lands where the work is), a thread each the others.
    """
    lock = threading.Lock()

    def progress(nbytes: int) -> None:
        with lock:
            on_block(nbytes)

    def stop_all() -> None:  # a part failed: every other feed then ends at its next write
        for encoder in encoders:
            encoder.kill()

    feeding = [_Feeding(encoder, part, progress if on_block else None, stop_all)
               for encoder, part in zip(encoders[1:], parts[1:])]
    for feed in feeding:
        feed.start()
    try:
        written = [encoders[0].feed(parts[0], progress if on_block else None)]
        written += [feed.result() for feed in feeding]
    except BaseException:
        stop_all()  # the feeding threads end at their next write
        raise
    for encoder in encoders:
        encoder.finish()
    return [nbytes // 2 for nbytes in written]


class _Feeding(threading.Thread):
    """Feeds one part to its encoder beside the main thread; `result()` re-raises what went wrong there,
    after `on_failure` has stopped the other encoders, so the main thread learns of it at once."""

    def __init__(self, encoder: "_Encoder", blocks: Iterable[bytes], on_block, on_failure: Callable[[], None]):
        super().__init__(daemon=True)
        self.encoder, self.blocks, self.on_block, self.on_failure = encoder, blocks, on_block, on_failure
        self.written, self.problem = 0, None

    def run(self) -> None:
        try:
            self.written = self.encoder.feed(self.blocks, self.on_block)
        except BaseException as problem:  # handed to the main thread
            self.problem = problem
            self.on_failure()

    def result(self) -> int:
        self.join()
        if self.problem is not None:
            raise self.problem
        return self.written


class _Encoder:
    """One ffmpeg process encoding s16le from its stdin to `out`; killed if left before `finish`.

    Its stderr goes to a file, so a chatty failure can never block the pipe. Only the first
    part writes the Info frame that `audio.lametag` completes for the joined stream.
    """

    def __init__(self, ffmpeg: str, out: Path, rate: int, bitrate_kbps: int, first: bool):
        self.out = out
        self.command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
                        "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                        # LAME's -q 7 ("fast, ok quality") encodes speech ~30% faster than the default;
                        # at 64 kbps mono its output is not worse by SNR, and the encoder is the bottleneck.
                        "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-compression_level", "7",
                        "-id3v2_version", "0", "-write_id3v1", "0", "-write_xing", "1" if first else "0",
                        "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp3", "-y", str(out)]
        self.log = tempfile.TemporaryFile()

    def __enter__(self) -> "_Encoder":
        try:
            # A session of its own: Ctrl-C reaches only us, and we decide what happens to ffmpeg.
            self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                            stderr=self.log, start_new_session=True)
        except OSError as problem:
            self.log.close()
            raise EnvironmentProblem(f"no MP3 encoder: cannot run {self.command[0]} ({problem.strerror})",
                                     INSTALL_FFMPEG) from None
        return self

    def feed(self, blocks: Iterable[bytes], on_block: Callable[[int], None] | None) -> int:
        """Stream the blocks in, returning the bytes written; a broken pipe means ffmpeg died,
        and its exit status says why."""
        written = 0
        try:
            for block in blocks:
                self.process.stdin.write(block)
                written += len(block)
                if on_block is not None:
                    on_block(len(block))
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        return written

    def finish(self) -> None:
        status = self.process.wait()
        if status != 0:
            self.log.seek(0)
            lines = self.log.read().decode(errors="replace").strip().splitlines() or [f"exit status {status}"]
            raise EnvironmentProblem(f"ffmpeg could not encode the MP3: {lines[-1]}",
                                     "check that ffmpeg has libmp3lame and the output folder has free space")

    def kill(self) -> None:
        """Stop ffmpeg now (its file is about to be deleted); writing to it then breaks the pipe."""
        if self.process.returncode is None:
            self.process.kill()
            self.process.wait()

    def __exit__(self, *_) -> None:
        self.kill()  # when left before `finish`: interrupted, or another part failed
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        self.log.close()


def _prepend(tag: bytes, audio: Path, out: Path, old_tag: bool = False) -> None:
    """Write the tag then the audio frames unchanged (Info header first), synced before the rename;
    `old_tag`: `audio` is one of our MP3s, whose own tag is left out."""
    try:
        with open(out, "xb") as sink, open(audio, "rb") as source:
            if old_tag:
                source.seek(tag_length(source.read(10)))
            sink.write(tag)
            shutil.copyfileobj(source, sink, 1 << 20)
            sink.flush()
            os.fsync(sink.fileno())
    except OSError as problem:
        raise EnvironmentProblem(f"cannot write {out.parent} ({problem.strerror})", OTHER_FOLDER) from None
