"""Declared affiliations of people who judge bodies (jurors, verifiers) and conflict checks."""
