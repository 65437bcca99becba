"""The receiver key: kept only sealed to the intake key, still open after the intake key is
rotated (a coordinator revoked between making the key and the handover), and its public
file refuses to be used when edited."""

from __future__ import annotations

import base64

import pytest

from solidarity.continuity import handover
from solidarity.continuity.models import ReceiverKey
from solidarity.testing import factories
from solidarity.vault import archive, core, keyring


@pytest.mark.django_db
def test_the_receiver_key_survives_an_intake_key_rotation():
    factories.make_org()
    factories.make_staff()
    old_intake = factories.intake_private_key()
    row, text = handover.create_receiver_key("Fund A")
    public = handover.parse_receiver_key_file(text)
    assert public.public_key == bytes(row.public_key)
    # The private half is in the database only sealed: it is not the public half's partner
    # in clear, and it opens with the intake key.
    sealed = bytes(row.private_key_sealed)
    private = archive.open_receiver_key(sealed, old_intake)
    assert core.public_key_of(private) == public.public_key
    assert private not in sealed

    new_intake = keyring.rotate_intake_key(old_intake)

    row = ReceiverKey.objects.get(pk=row.pk)
    assert archive.open_receiver_key(bytes(row.private_key_sealed), new_intake) == private
    with pytest.raises(core.TamperedCiphertextError):
        archive.open_receiver_key(bytes(row.private_key_sealed), old_intake)


@pytest.mark.django_db
def test_an_edited_receiver_key_file_is_refused():
    factories.make_org()
    _row, text = handover.create_receiver_key("Fund A")
    other = core.generate_keypair().public_key
    forged = text.replace(text.split("key: ")[-1].strip(), base64.b64encode(other).decode("ascii"))
    for broken in (forged, "hello", text.replace("key: ", "key: !!")):
        with pytest.raises(handover.ReceiverKeyFileError):
            handover.parse_receiver_key_file(broken)
    assert handover.same_fingerprint(
        handover.parse_receiver_key_file(text).fingerprint.lower().replace(" ", ""),
        handover.parse_receiver_key_file(text).fingerprint,
    )
