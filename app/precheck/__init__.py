"""Evidence pre-check: suggestions for verifiers (never verdicts)."""
