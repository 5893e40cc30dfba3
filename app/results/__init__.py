"""Results: final scores, qualifications, ranking per category, awards, decrees and history."""
