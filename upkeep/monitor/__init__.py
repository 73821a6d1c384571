"""Monitoring: checks declared in the inventory, their results, history, incidents, alerts."""
