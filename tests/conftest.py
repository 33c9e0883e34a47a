"""Shared pytest options, and a clip cache of each test's own."""

import pytest


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.json from the current compiler (review the diff)")


@pytest.fixture(autouse=True)
def own_clip_cache(tmp_path_factory, monkeypatch):
    """An empty clip cache per test: `plan` places cached phrases by their real length, so a test must
    not see the clips of the user's own renders (or of another test). Tests that need clips pass
    their own COACH_CACHE_DIR."""
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path_factory.mktemp("clips")))
