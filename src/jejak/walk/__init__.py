"""Signature sniffing, safety limits and the walker that turns evidence into file records."""
