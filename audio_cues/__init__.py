"""Bundled cue sounds (installed as the package coach.audio_cues)."""
