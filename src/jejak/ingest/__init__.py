"""Ingest: the walker, the per-file processor, the runners (local process pool, Dask) and the sink."""
