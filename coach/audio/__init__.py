"""Audio: loudness, the block mixer and the MP3 encoder."""
