"""Backends that open byte streams from evidence: folders, archives, raw and E01 disk images."""
