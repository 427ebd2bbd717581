"""The audit trail: append-only, hash-chained (chain.py); stored by store/audit.py."""
