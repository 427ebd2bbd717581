"""Digests from one read pass (StreamHasher) and media hashes from decoded pixels (registry)."""
