"""``python -m qualityflow``: the same as the ``qualityflow`` command."""

from qualityflow.cli import main

main()
