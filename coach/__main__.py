"""`python -m coach`. Guarded: worker processes started by spawn (macOS, Windows) import this module."""

from coach.cli import main

if __name__ == "__main__":
    main()
