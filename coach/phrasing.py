"""What the coach says to tell a listener where they are: step names, sides, rounds, numbers.

Pure text from a routine's `Phrases`; the placement decides when each is said.
A listener with the screen off hears the exercise, the side and the round at
the start of every turn, in the routine's own words (`phrases`).
"""

from __future__ import annotations

import re

from coach.routine import Hold, Phrases, TimedStep


def side_word(phrases: Phrases, side: str | None) -> str | None:
    """The word said for `side` (`phrases.sides`), or the side's own name."""
    if side is None:
        return None
    return dict(phrases.sides).get(side, side)


def number_word(words: tuple[str, ...], number: int) -> str:
    """`words[number - 1]`, or the digits past the end of the list (a voice reads them in its language)."""
    return words[number - 1] if 0 < number <= len(words) else str(number)


def sentence(text: str) -> str:
    """`text` with its first letter capitalized, as a phrase that starts with a placeholder needs."""
    return text[:1].upper() + text[1:]


def fill(text: str, phrases: Phrases, side: str | None) -> str:
    """`text` with `{side}` replaced by the side's word."""
    return text.replace("{side}", side_word(phrases, side)) if side else text


def round_phrase(phrases: Phrases, number: int, rounds: int) -> str:
    """"Round two of two." for a step of several rounds; empty for a single round."""
    return _numbered(phrases.round, phrases, number, rounds)


def set_phrase(phrases: Phrases, number: int, rounds: int) -> str:
    """"Set two of two." for a section of several rounds; empty for a single round."""
    return _numbered(phrases.set, phrases, number, rounds)


def _numbered(template: str, phrases: Phrases, number: int, rounds: int) -> str:
    if rounds < 2 or not template:
        return ""
    return sentence(template.replace("{round}", number_word(phrases.numbers, number))
                    .replace("{rounds}", number_word(phrases.numbers, rounds)))


def side_phrase(phrases: Phrases, side: str | None) -> str:
    return sentence(fill(phrases.side, phrases, side)) if side else ""


def instruction(phrases: Phrases, step: TimedStep, side: str | None = None, number: int = 1) -> str:
    """The words that open a turn: "Hamstring stretch. Round one of two. Right side. Loop the strap…".

    The name is left out when `say` already contains it, and the side phrase when `say` says the
    side's word; a `say` that is only the name (the default) comes first, so the name still opens
    the turn.
    """
    say = fill(step.say, phrases, side)
    rounds = step.rounds if isinstance(step, Hold) else 1
    # The side is named once: by `say` when it says the side's word ("your right foot"), else here.
    named_side = "" if side is None or _contains(say, side_word(phrases, side)) else side_phrase(phrases, side)
    where = [round_phrase(phrases, number, rounds), named_side]
    if _same_words(say, step.name):
        parts = [say, *where]
    elif _contains(say, step.name):
        parts = [*where, say]
    else:
        parts = [phrases.step.replace("{name}", step.name), *where, say]
    return " ".join(part for part in parts if part)


def switch(phrases: Phrases, side: str, number: int, rounds: int, new_round: bool) -> str:
    """"Switch sides: left side.", after "Round two of two." when the turn starts a round."""
    parts = [round_phrase(phrases, number, rounds) if new_round else "",
             fill(phrases.switch, phrases, side)]
    return " ".join(part for part in parts if part)


def preview(phrases: Phrases, step: TimedStep) -> str:
    return phrases.next.replace("{name}", step.name)


def countdown(phrases: Phrases, count: int) -> list[tuple[int, str]]:
    """(seconds before the mark, word) of a countdown from `count` (at most the words there are)."""
    return [(number, sentence(phrases.countdown[number - 1]))
            for number in range(min(count, len(phrases.countdown)), 0, -1)]


def _contains(text: str, words: str) -> bool:
    """Whether `text` says `words` as whole words (any case; a closing full stop of `words` aside):
    "Breathe." does not name the step "Breath"."""
    words = words.rstrip(" .!")
    return bool(words) and re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text, re.IGNORECASE) is not None


def _same_words(text: str, name: str) -> bool:
    return text.rstrip(" .!").casefold() == name.rstrip(" .!").casefold()
