"""Settings for benchmark servers: the product's settings plus the plaintext baseline app.

Both the sealed and the baseline load run a server with these settings, so the only
difference between the two is the view that stores the application.
"""

from solidarity.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
