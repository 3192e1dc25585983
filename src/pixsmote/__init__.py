"""pixsmote."""
