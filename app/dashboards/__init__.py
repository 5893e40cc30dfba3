"""Progress dashboards: per-cycle counts for the sekretariat, a body's next action."""
