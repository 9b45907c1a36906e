"""Whole-health goals: the self-inventory, goals, weekly action plans and the personal log."""
