"""Voice-guided audio coach: routines compiled to exactly timed spoken cues."""

__version__ = "0.2.0"
