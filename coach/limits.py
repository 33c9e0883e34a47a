"""Every limit and timing constant, named once.

Limits protect against routines that would render for days or expand to
millions of events (untrusted files); constants fix the time base that the
compiler, mixer and exporters share.
"""

SAMPLE_RATE = 22050
"""Timeline time base: one tick is one sample at the speech engines' native rate."""

MAX_FILE_BYTES = 1_000_000
MAX_YAML_NODES = 50_000
MAX_YAML_DEPTH = 64
MAX_NUMBER_CHARS = 20
"""A number written longer than this is refused before any arithmetic (no giant ints, no 1e100000000)."""
MAX_TRACK_SECONDS = 6 * 3600
MAX_EVENTS = 10_000
MAX_PHRASE_CHARS = 600
MAX_SOUND_BYTES = 20_000_000
"""A user cue sound file: a minute of 48 kHz 24-bit stereo WAV fits; a song does not."""
MAX_SOUND_SECONDS = 60
MAX_CLIP_SECONDS = 300
"""Longer than any phrase of MAX_PHRASE_CHARS at the slowest rate; a cache entry beyond it is damage."""
MAX_ROUNDS = 100
MAX_COUNTDOWN = 10
MAX_ERRORS_SHOWN = 20
"""A routine's mistakes are all reported at once, up to this many lines (then how many more)."""
MAX_SECTIONS = 255
"""Each section is an MP3 chapter, and an ID3 table of contents counts its chapters in one byte."""

TRACK_TAIL_SECONDS = 1.5
"""The track ends this long after the last event ends."""
LENGTH_NOTE_SECONDS = 1
"""A session fitted to a target it can reach but ends this far from gets a note saying why."""
HALFWAY_MIN_SECONDS = 20
COUNTDOWN_MIN_SECONDS = 30
"""Holds this long get their countdown; in a shorter one the numbers would be most of what is said."""
PREVIEW_MIN_REST_SECONDS = 5
PREVIEW_MIN_HOLD_SECONDS = 15
"""A hold this long previews the next step in its second half (when no rest will)."""
RATE_RANGE = (60, 400)
