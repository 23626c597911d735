"""``python -m vidfill`` runs the command line."""

from vidfill.cli import main

main()
