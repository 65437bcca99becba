"""Test support shared by every app: factories and pytest fixtures (STYLE.md §6)."""
