"""``python -m leadforge_core`` runs the ``leadforge`` command."""

from leadforge_core.cli.app import main

main()
