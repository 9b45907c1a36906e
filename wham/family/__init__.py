"""Support plans, and sharing them with family and supporters under written consent."""
