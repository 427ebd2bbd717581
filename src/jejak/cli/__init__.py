"""The command line: thin Typer commands over jejak.services."""
