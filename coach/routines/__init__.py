"""Built-in routines, shipped as package data."""
