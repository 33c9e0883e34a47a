"""Voice-guided audio coach: routines compiled to exactly timed spoken cues."""

__version__ = "0.1.0"
