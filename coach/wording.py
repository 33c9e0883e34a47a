"""How counts read in what `coach` prints: "1 section", "2 sections"."""


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
