"""espeak-ng through its library says every phrase exactly as the program does, whatever it said before."""

from __future__ import annotations

import pytest

from coach.speech import espeak
from coach.speech.espeak import EspeakSpeaker

PHRASES = ["Hamstring stretch. Round one of two. Lie on your back.", "Three", "Begin.",
           "Zwei Runden pro Seite.", "Breathe out slowly, for six."]


@pytest.mark.parametrize("voice,rate,amplitude", [(None, 160, 100), ("en-gb", 140, 80), ("de", 175, 130)])
def test_library_says_each_phrase_as_the_program_does_in_any_order(tmp_path, voice, rate, amplitude):
    """en-gb is found as a language, as the program finds it; each phrase is said twice, after others."""
    library = EspeakSpeaker(voice, rate, amplitude)
    assert espeak._server() is not None  # the library is what is tested here
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


def test_a_server_that_stops_leaves_the_program_to_say_the_rest(tmp_path):
    speaker = EspeakSpeaker(None, 160, 100)
    speaker.speak_to_file("Begin.", tmp_path / "first.wav")
    server = espeak._server()
    server.process.kill()
    server.process.wait()
    said = speaker.speak_to_file("Halfway.", tmp_path / "after.wav").read_bytes()
    expected = EspeakSpeaker(None, 160, 100, use_library=False).speak_to_file("Halfway.", tmp_path / "program.wav")
    assert said == expected.read_bytes()
    assert espeak._server() is None  # stopped for good in this process: no half-read answer is ever trusted
    espeak._servers.clear()  # the next test's phrases start a new one


def test_a_phrase_the_server_refuses_does_not_stop_it(tmp_path):
    speaker = EspeakSpeaker(None, 160, 100)
    with pytest.raises(ValueError):  # a lone surrogate cannot be UTF-8, for the program either
        speaker.speak_to_file("Begin \ud800.", tmp_path / "bad.wav")
    server = espeak._server()
    assert server is not None
    speaker.speak_to_file("Begin.", tmp_path / "good.wav")
    assert espeak._server() is server
