"""Refresh: clone production into staging (database, files, code) without leaking personal data."""
