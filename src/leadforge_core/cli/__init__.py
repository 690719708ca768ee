"""The ``leadforge`` command line (Typer + rich): results on stdout, progress and errors on
stderr, one clear line and exit 2 for anything a user got wrong."""
