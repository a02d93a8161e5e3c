"""``python -m clickstream`` is the ``clickstream`` command."""

from clickstream.cli import main

main()
