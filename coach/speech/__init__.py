"""Speech: engines that turn text into clips, and the clip cache."""
