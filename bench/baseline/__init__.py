"""A bench-only intake that stores the same application in plaintext: the yardstick for
what sealing costs. Never installed outside bench/settings.py."""
