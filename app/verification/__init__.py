"""Verification of SAQ answers: verdicts, scoring (pure rules), appeals and the shortlist."""
