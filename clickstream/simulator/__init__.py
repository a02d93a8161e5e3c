"""Realistic, deterministic SDK traffic for demos, tests and benchmarks (`clickstream simulate`).

The generator builds users, sessions and events as the Clickstream SDKs would (reference section 2);
the sender posts them over HTTP as the SDKs do, or writes raw files directly for bulk benchmarks.
"""
