"""Piper, the natural-sounding neural voice: finding a voice model, naming it in the cache, speaking with it.

A Piper voice is a `NAME.onnx` model with its `NAME.onnx.json` config
beside it, named by a path or looked up by name in the voices folder
(`$COACH_VOICES_DIR`, else the user data folder's `coach/voices`). The
package is optional (`pip install 'coach[piper]'`, GPL-3.0): without it,
`engine: piper` is an environment problem with that fix.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import wave
from pathlib import Path

from coach.errors import EnvironmentProblem, quoted

INSTALL_PIPER = "pip install 'coach[piper]' (Piper is GPL-3.0; see the README)"
NEUTRAL_RATE_WPM = 160
"""The speaking rate at which Piper's length scale is 1.0."""


def installed() -> bool:
    return importlib.util.find_spec("piper") is not None


def _config_of(model: Path) -> Path:
    """A voice's config, `NAME.onnx.json` beside `NAME.onnx`."""
    return model.with_name(model.name + ".json")


def voices_dir() -> Path:
    override = os.environ.get("COACH_VOICES_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("coach", appauthor=False)) / "voices"


def installed_voices() -> dict[str, Path]:
    """Voice name -> model, for every model in the voices folder that has its config beside it."""
    folder = voices_dir()
    if not folder.is_dir():
        return {}
    return {model.name[:-len(".onnx")]: model for model in sorted(folder.glob("*.onnx"))
            if _config_of(model).is_file()}


def find_model(voice: str | None) -> Path:
    """The model for a voice given by path or by name; None means the first installed voice."""
    from coach.fields import did_you_mean

    voices = installed_voices()
    if voice is None:
        if not voices:
            raise EnvironmentProblem("no Piper voice is installed", download_fix())
        return next(iter(voices.values()))
    path = Path(voice).expanduser()
    if path.suffix == ".onnx" or path.is_file():
        if not path.is_file():
            raise EnvironmentProblem(f"Piper voice model {quoted(str(path))} not found", download_fix())
        if not _config_of(path).is_file():
            raise EnvironmentProblem(f"Piper voice {quoted(str(path))} has no {path.name}.json beside it",
                                     "download the voice's .onnx.json config into the same folder")
        return path.resolve()
    if voice in voices:
        return voices[voice]
    raise EnvironmentProblem(f"no Piper voice named {quoted(voice)} in {voices_dir()}{did_you_mean(voice, list(voices))}",
                             download_fix(voice))


def describe(model: Path) -> str:
    """Language, quality and file of an installed voice, from its config."""
    import json

    try:
        config = json.loads(_config_of(model).read_text("utf-8"))
        language = config.get("language", {}).get("code", "?")
        quality = config.get("audio", {}).get("quality", "?")
    except (OSError, ValueError, AttributeError):
        language = quality = "?"
    return f"{language}, {quality} ({model})"


def download_fix(name: str = "en_US-lessac-medium") -> str:
    return f"python -m piper.download_voices {name} --data-dir {voices_dir()}"


@functools.lru_cache(maxsize=None)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as model:
        for chunk in iter(lambda: model.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def model_identity(model: Path) -> str:
    """Names the model by its content and config, so replacing a voice file makes new clips."""
    config = _config_of(model)
    parts = []
    for path in (model, config):
        info = path.stat()
        parts.append(_digest(str(path), info.st_size, info.st_mtime_ns)[:16])
    from importlib import metadata

    return f"piper-tts {metadata.version('piper-tts')} model {'/'.join(parts)}"


class PiperSpeaker:
    """Worker side: one loaded model, many phrases."""

    def __init__(self, model: Path, rate: int, volume: float, threads: int):
        try:
            self.voice = _load(model, threads)
        except Exception as problem:  # onnxruntime and json raise their own kinds for a damaged file
            raise RuntimeError(f"cannot load the Piper voice {model}: {' '.join(str(problem).split())[:200]}") \
                from None
        from piper import SynthesisConfig

        self.config = SynthesisConfig(length_scale=NEUTRAL_RATE_WPM / rate, volume=volume)

    def speak_to_file(self, text: str, path: Path) -> Path:
        with open(path, "wb") as file, wave.open(file, "wb") as out:  # see EspeakSpeaker.speak_to_file
            self.voice.synthesize_wav(text, out, syn_config=self.config)
        return path


def _load(model: Path, threads: int):
    """`PiperVoice.load`, but with onnxruntime on `threads` cores: by default every session takes them
    all, and workers that each synthesize a phrase at once would fight over them."""
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    config = PiperConfig.from_dict(json.loads(_config_of(model).read_text("utf-8")))
    session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=config)
