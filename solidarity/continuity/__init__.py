"""Backups, and handover of the work to another organisation."""
