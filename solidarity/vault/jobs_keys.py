"""The keys of the jobs app, named for who each ciphertext is for. Built only from ``core``.

Like ``core``, nothing here touches the database, the request or settings: keys and bytes in,
bytes out. The jobs app keeps the rows (``solidarity.jobs.keys``).

Who each ciphertext or tag is for:

* ``profile_owner_tag``: nobody reads it. It is a keyed hash under the case private key, so
  only a holder of that key (the applicant with the receipt, a coordinator, a granted
  volunteer) can compute it and find "my profile"; a copy of the database cannot join a
  profile to its case.
* ``create_profile_keys``: each job profile has its own key pair. Its private half is sealed
  to the case key, so the candidate can read what the job coaches write to the profile
  (``seal_for_candidate``) while the coaches never learn which case it belongs to.
* ``seal_for_job_coaches``: the organisation's *jobs key*. Its private half is stored only
  wrapped to each job coach's personal key (``wrap_jobs_key``), like the intake key is for
  coordinators. Employer names and contacts and a candidate's optional contact are sealed to it.
"""

from __future__ import annotations

from solidarity.vault import core

# Domain separation: this key is used for nothing else under the case private key.
_PROFILE_OWNER_CONTEXT = b"solidarity/jobs/profile-owner/v1"
PROFILE_OWNER_TAG_SIZE = 32  # bytes: a collision between two cases is out of reach (2^-128)


def profile_owner_tag(case_private_key: bytes) -> str:
    """The lookup tag of the case's job profile (hex). Stable while the case key is.

    Keyed BLAKE2b under the 32 random bytes of the case private key is a PRF: without the
    key, the tag says nothing about the case, and no stored column can recompute it.
    """
    core.public_key_of(case_private_key)  # refuses a key of the wrong length
    return core.keyed_digest(
        case_private_key, _PROFILE_OWNER_CONTEXT, size=PROFILE_OWNER_TAG_SIZE
    ).hex()


def create_profile_keys(case_public_key: bytes) -> tuple[bytes, bytes]:
    """A new profile key pair: (public key, private key sealed to the case key)."""
    pair = core.generate_keypair()
    return pair.public_key, core.seal_for_case(case_public_key, pair.private_key)


def open_profile_key(case_private_key: bytes, profile_private_key_sealed: bytes) -> bytes:
    """The profile private key. Raises TamperedCiphertextError for another case's key."""
    private_key = core.open_for_case(case_private_key, profile_private_key_sealed)
    core.public_key_of(private_key)
    return private_key


def reseal_profile_key(
    old_case_private_key: bytes, new_case_public_key: bytes, profile_private_key_sealed: bytes
) -> bytes:
    """The profile private key sealed to a case's new key after the case was re-keyed."""
    private_key = open_profile_key(old_case_private_key, profile_private_key_sealed)
    return core.seal_for_case(new_case_public_key, private_key)


def seal_for_candidate(profile_public_key: bytes, plaintext: bytes) -> bytes:
    """For the candidate alone (through their case key): what a job coach writes to them."""
    return core.seal_to(profile_public_key, plaintext)


def open_for_candidate(profile_private_key: bytes, sealed: bytes) -> bytes:
    return core.open_sealed(profile_private_key, sealed)


def create_jobs_key() -> core.KeyPair:
    """The organisation's jobs key pair. The caller wraps the private half and forgets it."""
    return core.generate_keypair()


def wrap_jobs_key(jobs_private_key: bytes, staff_public_key: bytes) -> bytes:
    """For one job coach: the jobs private key sealed to their personal key."""
    core.public_key_of(jobs_private_key)
    return core.seal_to(staff_public_key, jobs_private_key)


def unwrap_jobs_key(wrapped: bytes, staff_private_key: bytes) -> bytes:
    return core.open_sealed(staff_private_key, wrapped)


def seal_for_job_coaches(jobs_public_key: bytes, plaintext: bytes) -> bytes:
    """For the job coaches: employer names and contacts, a candidate's optional contact."""
    return core.seal_to(jobs_public_key, plaintext)


def open_for_job_coaches(jobs_private_key: bytes, sealed: bytes) -> bytes:
    return core.open_sealed(jobs_private_key, sealed)


def reseal_for_receiver(
    jobs_private_key: bytes, receiver_public_key: bytes, sealed: bytes
) -> bytes:
    """For a handover: a value sealed to our jobs key, sealed to the receiving organisation's
    receiver key instead. Empty (nothing was written) stays empty."""
    if not sealed:
        return b""
    return core.seal_to(receiver_public_key, open_for_job_coaches(jobs_private_key, sealed))


def reseal_from_giver(receiver_private_key: bytes, jobs_public_key: bytes, sealed: bytes) -> bytes:
    """At the receiving organisation: a value the giver sealed to our receiver key, sealed to
    our own jobs key so our job coaches read it. Empty stays empty."""
    if not sealed:
        return b""
    return seal_for_job_coaches(jobs_public_key, core.open_sealed(receiver_private_key, sealed))
