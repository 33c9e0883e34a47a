"""espeak-ng through its library says every phrase exactly as the program does, whatever it said before."""

from __future__ import annotations

import pytest

from coach.speech.espeak import EspeakSpeaker

PHRASES = ["Hamstring stretch. Round one of two. Lie on your back.", "Three", "Begin.",
           "Zwei Runden pro Seite.", "Breathe out slowly, for six."]


@pytest.mark.parametrize("voice,rate,amplitude", [(None, 160, 100), ("en-gb", 140, 80), ("de", 175, 130)])
def test_library_says_each_phrase_as_the_program_does_in_any_order(tmp_path, voice, rate, amplitude):
    """en-gb is found as a language, as the program finds it; each phrase is said twice, after others."""
    library = EspeakSpeaker(voice, rate, amplitude)
    assert library._server is not None  # the library is what is tested here
    program = EspeakSpeaker(voice, rate, amplitude, use_library=False)
    for round_ in range(2):
        for number, phrase in enumerate(PHRASES if round_ == 0 else PHRASES[::-1]):
            said = library.speak_to_file(phrase, tmp_path / f"library-{round_}-{number}.wav").read_bytes()
            expected = program.speak_to_file(phrase, tmp_path / "program.wav").read_bytes()
            assert said == expected, f"{phrase!r} in round {round_ + 1}"


def test_a_voice_the_library_cannot_find_leaves_the_program_to_say_why(tmp_path):
    speaker = EspeakSpeaker("zzzz", 160, 100)
    with pytest.raises(RuntimeError, match="voice does not exist"):
        speaker.speak_to_file("Begin.", tmp_path / "out.wav")
    assert EspeakSpeaker(None, 160, 100).speak_to_file("Begin.", tmp_path / "out.wav").stat().st_size > 1000
