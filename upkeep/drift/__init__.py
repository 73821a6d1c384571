"""Drift: how environments differ from their desired state and from each other."""
