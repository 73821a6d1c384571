"""Provision: make an environment match its desired state, changing only what differs."""
