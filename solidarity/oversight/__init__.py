"""Insider limits: alerts from the audit trail and two-person exports."""
