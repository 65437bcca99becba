"""DEMO ONLY: a signed statement of invented channels for the demo organisation, so
`/channels/`, the footer and the bot show a fingerprint. Call after ``accounts.demo.load_demo()``."""

from __future__ import annotations

from solidarity.accounts.demo import DEMO_STAFF
from solidarity.accounts.models import User
from solidarity.channels import services
from solidarity.channels.models import SignedStatement
from solidarity.vault import keyring

# Invented addresses under domains reserved for examples; the onion address is well formed
# (valid checksum) but made from an invented key, sha256(b"solidarity demo onion -- invented").
DEMO_CHANNELS = services.Channels(
    web=("https://fund.example.org/",),
    onion=("4rbidtoygwf2ceahgotwn6ihpnpfatleuhvxg2vkdxmjfgw44isqwjad.onion",),
    bots=("@DemoSolidarityBot",),
    other=("Demo only: these addresses are invented.",),
)


def build_channels_demo() -> SignedStatement | None:
    """Sign the demo channels with the demo coordinator's public passphrase."""
    (username, _role, passphrase), *_others = DEMO_STAFF
    coordinator = User.objects.filter(username=username).first()
    if coordinator is None:
        return None
    key = keyring.unlock_staff_key(coordinator, passphrase)
    return services.sign_channels(DEMO_CHANNELS, by=coordinator, staff_private_key=key)
