"""The improvement loop: recommendations, carried-forward evidence and verifier calibration."""
