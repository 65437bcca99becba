"""Handover of the jobs work, attack played: the fund is raided and another foundation takes
over, job coaches included. At fund A a candidate shared a profile (with a contact for the
coaches), a coach recorded an employer with a contact and an opening, introduced the candidate
and offered a course. A exports with a job coach's copy of the jobs key; fund B imports, and
B's job coach, who never held A's keys, reads the employer's contact and the candidate's
profile, while the candidate finds their profile at B with their old receipt."""

from __future__ import annotations

import pytest

from solidarity.continuity.tests.conftest import CANARY, files_holding, said

pytestmark = pytest.mark.slow

JOBS_CANARY = "555CanaryJobsContact"


@pytest.fixture(scope="module")
def funds(new_installation, tmp_path_factory):
    files = tmp_path_factory.mktemp("handover-jobs")
    giver = new_installation("jobs-giver", coordinator="alice", org="Fund A")
    receiver = new_installation("jobs-receiver", coordinator="bob", org="Fund B")
    receipt = giver.probe("submit", CANARY)
    giver.probe("enrol-job-coach", "carol")
    work = giver.probe("jobs-work", receipt["code"], receipt["passphrase"], "carol", JOBS_CANARY)
    receiver.run("handover", "receiver-key", "--org", "Fund A", "--out", str(files / "b.key"))
    without = giver.run(
        "handover", "export", "--to", str(files / "b.key"), "--by", "alice",
        "--out", str(files / "cases-only.handover"),
    )  # fmt: skip
    exported = giver.run(
        "handover", "export", "--to", str(files / "b.key"), "--by", "alice",
        "--jobs-by", "carol", "--out", str(files / "a-to-b.handover"),
    )  # fmt: skip
    return {
        "giver": giver,
        "receiver": receiver,
        "receipt": receipt,
        "pseudonym": work["pseudonym"],
        "archive": files / "a-to-b.handover",
        "without_output": without.stdout,
        "export_output": exported.stdout,
        "files": files,
    }


def test_the_receivers_job_coach_reads_the_givers_jobs_work(funds):
    giver, receiver, receipt = funds["giver"], funds["receiver"], funds["receipt"]
    not_carried = said(
        "The jobs work (candidate profiles, employers, openings, courses) was not carried: "
        "give --jobs-by with a job coach to carry it."
    )
    assert not_carried in funds["without_output"]
    carried = said(
        "Jobs work: %(profiles)s candidate profiles, %(employers)s employers, "
        "%(openings)s openings.",
        profiles=1,
        employers=1,
        openings=1,
    )
    assert carried in funds["export_output"]
    assert not_carried not in funds["export_output"]

    # B has no job coach yet: nobody there could read the employers, so nothing is taken.
    refused = receiver.run("handover", "import", str(funds["archive"]), "--by", "bob", check=False)
    assert refused.returncode != 0
    assert said("This archive carries jobs work: enrol a job coach here first.") in refused.stderr
    assert "Traceback" not in refused.stderr
    assert receiver.probe("counts")["cases"] == 0
    assert receiver.probe("jobs-counts") == {"profiles": 0, "employers": 0, "jobs_keys": 0}

    receiver.probe("enrol-job-coach", "dave")
    result = receiver.run("handover", "import", str(funds["archive"]), "--by", "bob")
    assert carried in result.stdout

    # B's coach reads what A's coach reads: employer, its contact, the candidate's contact.
    seen_at_b = receiver.probe("jobs-seen-by-coach", "dave")
    assert seen_at_b == giver.probe("jobs-seen-by-coach", "carol")
    assert seen_at_b["employers"] == [
        {
            "name": "Orbit Logistics",
            "contact": f"Ihar, +48 {JOBS_CANARY}",
            "openings": ["Junior Python developer"],
        }
    ]
    assert seen_at_b["candidates"][funds["pseudonym"]]["contact"] == f"signal {JOBS_CANARY}"
    assert seen_at_b["introductions"] == ["introduced"]
    assert seen_at_b["enrolments"] == ["offered"]
    # The candidate's receipt finds their profile at B, with the coach's note to them.
    assert receiver.probe("jobs-seen-by-candidate", receipt["code"], receipt["passphrase"]) == {
        "profile": funds["pseudonym"],
        "introductions": [["Junior Python developer", f"Call {JOBS_CANARY}"]],
        "courses": ["QA engineering"],
    }
    assert receiver.probe("counts") == {"cases": 1, "audit_ok": True}
    # Nothing readable in B's data directory, nor in the archive.
    assert files_holding(receiver.data_dir, JOBS_CANARY) == []
    data = funds["archive"].read_bytes()
    for secret in (JOBS_CANARY, "Orbit Logistics", funds["pseudonym"], "Fund A"):
        assert secret.encode() not in data


def test_only_a_job_coach_with_the_key_carries_the_jobs_work(funds):
    giver, files = funds["giver"], funds["files"]
    for username, message in (
        ("alice", "--jobs-by must name a job coach."),
        ("nobody", "--jobs-by must name a job coach."),
    ):
        result = giver.run(
            "handover", "export", "--to", str(files / "b.key"), "--by", "alice",
            "--jobs-by", username, "--out", str(files / "never.handover"), check=False,
        )  # fmt: skip
        assert result.returncode != 0
        assert said(message) in result.stderr
        assert not (files / "never.handover").exists()
    # A coach enrolled after the jobs key was made, never given a copy of it.
    giver.probe("enrol-job-coach", "erin")
    result = giver.run(
        "handover", "export", "--to", str(files / "b.key"), "--by", "alice",
        "--jobs-by", "erin", "--out", str(files / "never.handover"), check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert said("This job coach holds no jobs key.") in result.stderr
    assert not (files / "never.handover").exists()
