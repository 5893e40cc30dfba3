"""Presentation rounds (uji publik) and visitasi: panels, schedule, rubric and juror scoring."""
