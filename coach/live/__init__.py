"""Live coaching: device output, the session, its display and keys."""
