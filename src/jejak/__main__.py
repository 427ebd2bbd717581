"""``python -m jejak`` is the ``jejak`` command."""

from jejak.cli.app import main

main()
