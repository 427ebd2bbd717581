"""Use cases that the CLI (and later the API and web UI) call: one function per thing a user does."""
