"""Load benchmarks. Not part of the product: nothing under solidarity/ imports from here."""
