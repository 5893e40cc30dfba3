"""Award certificates (piagam penghargaan) and the ceremony kit."""
