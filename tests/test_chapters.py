"""Step chapters read off the timeline: each occurrence of a step, led in by the words before it, tiling its section."""

from coach.chapters import chapter_marks, step_chapters
from coach.limits import MAX_SECTIONS
from coach.timeline import Chapter, Event, Timeline

SECOND = 22050


def event(second, step=None, side=None, number=None, section="Stretch"):
    return Event(second * SECOND, second * SECOND + SECOND // 2, "speech", "cue", "words", section, step, side,
                 number, 1)


def timeline(events, chapters, duration):
    return Timeline("t", None, None, "t.yaml", duration, tuple(chapters), tuple(events), ())


def test_occurrences_are_titled_by_side_and_round_and_tile_the_section():
    events = [event(0), event(2, "Calf", "right", 1), event(9, "Calf", "left", 1), event(12, "Calf", "right", 2),
              event(20, "Calf", "left", 2), event(30), event(31, "Reach", None, 1)]
    line = timeline(events, [Chapter("Stretch", 0, 40 * SECOND)], 40 * SECOND)
    assert step_chapters(line, line.chapters[0]) == [
        ("Calf — right, round 1", 0, 9 * SECOND),
        ("Calf — left, round 1", 9 * SECOND, 12 * SECOND),
        ("Calf — right, round 2", 12 * SECOND, 20 * SECOND),
        ("Calf — left, round 2", 20 * SECOND, 30 * SECOND),
        ("Reach", 30 * SECOND, 40 * SECOND),  # starts with the announcement that leads into it
    ]


def test_a_section_without_steps_is_one_chapter_and_too_many_steps_fall_back_to_one():
    many = [event(n, "Tap", None, n + 1) for n in range(MAX_SECTIONS + 1)]
    line = timeline([event(0, section="Intro")] + [event(n + 10, "Tap", None, n + 1, "Taps") for n in range(3)],
                    [Chapter("Intro", 0, 10 * SECOND), Chapter("Taps", 10 * SECOND, 20 * SECOND)], 20 * SECOND)
    marks = chapter_marks(line)
    assert [(mark.title, len(mark.steps)) for mark in marks] == [("Intro", 0), ("Taps", 3)]
    crowded = timeline(many, [Chapter("Taps", 0, 300 * SECOND)], 300 * SECOND)
    assert [len(mark.steps) for mark in chapter_marks(crowded)] == [0]
    assert [len(mark.steps) for mark in chapter_marks(crowded, "sections")] == [0]


def test_a_window_shows_its_sections_in_its_own_time():
    line = timeline([event(0, "A", None, 1, "One"), event(10, "B", None, 1, "Two"), event(14, "C", None, 1, "Two")],
                    [Chapter("One", 0, 10 * SECOND), Chapter("Two", 10 * SECOND, 20 * SECOND)], 20 * SECOND)
    (two,) = chapter_marks(line, start=10 * SECOND, stop=20 * SECOND)
    assert (two.title, two.start_ms, two.end_ms) == ("Two", 0, 10_000)
    assert [(step.title, step.start_ms, step.end_ms) for step in two.steps] == [("B", 0, 4000), ("C", 4000, 10_000)]
