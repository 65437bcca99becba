"""Winding the fund down: shred every case and keep only the books and the audit log.

A raid can end a fund in a day (in 2020 one fund's company was raided, four employees
arrested and its accounts frozen within weeks). What the fund knew about the people it
helped must not outlive it. Wind-down deletes every copy of every case key and everything
sealed, uploaded, screened or matched, and keeps what the law and the donors need: the
double-entry books (accounts, entries, postings, amounts, dates) for the statutory period,
and the hash-chained audit log.

Tables are found generically, so a sealed column added later is covered without editing this
file: every binary column of every installed model that is not a public key is secret
material. Rows holding one are deleted; rows the books must keep (their app is in
BOOKS_APPS, or the books protect them by a foreign key) are kept with every secret column
emptied.
"""

from __future__ import annotations

import datetime
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from solidarity.accounts.models import User
from solidarity.audit import services as audit
from solidarity.cases.models import Case
from solidarity.vault import core, keyring
from solidarity.vault.models import Organisation

# Apps whose rows are the books or the record of the fund's actions: never deleted here, only
# emptied of secret columns (a payout destination's sealed IBAN, a donor's sealed address).
BOOKS_APPS = frozenset({"ledger", "audit"})

# Rows without secret columns that still say who was signed in or what work was queued:
# deleted so no session or task outlives the fund.
ALSO_DELETED = (
    "sessions.Session",
    "accounts.StaffSession",
    "django_tasks_database.DBTaskResult",
)

CONFIRMATIONS_NEEDED = 2


class WindDownRefusedError(Exception):
    """The confirmations are missing or wrong; nothing was changed. Safe to show."""


@dataclass
class WindDownReport:
    organisation: str
    dry_run: bool
    keep_books_until: datetime.date
    deleted: Counter = field(default_factory=Counter)  # model label -> rows deleted
    emptied: Counter = field(default_factory=Counter)  # "label.field" -> rows emptied
    files_deleted: int = 0
    kept: list[tuple[str, int, str]] = field(default_factory=list)  # what, how many, why
    vacuum: str = ""

    def as_details(self) -> dict:
        """The report as audit details: counts and labels only, nothing that was deleted."""
        return {
            "dry_run": self.dry_run,
            "deleted": dict(sorted(self.deleted.items())),
            "emptied": dict(sorted(self.emptied.items())),
            "files_deleted": self.files_deleted,
            "kept": {what: n for what, n, _why in self.kept},
            "keep_books_until": self.keep_books_until.isoformat(),
            "vacuum": self.vacuum,
        }

    def lines(self) -> list[str]:
        out = [
            _("Dry run: nothing was changed. This is what wind-down would do.")
            if self.dry_run
            else _("The fund “%(name)s” is wound down.") % {"name": self.organisation},
            "",
            _("Deleted (rows):"),
        ]
        out += [f"  {label}: {n}" for label, n in sorted(self.deleted.items()) if n]
        out.append(_("Emptied secret columns (rows kept for the books):"))
        out += [f"  {column}: {n}" for column, n in sorted(self.emptied.items()) if n]
        out.append(_("Uploaded files deleted: %(n)s") % {"n": self.files_deleted})
        out += ["", _("Kept, and why:")]
        out += [f"  {what}: {n} — {why}" for what, n, why in self.kept]
        out += [
            "",
            _(
                "Keep the books until %(date)s (SOLIDARITY_KEEP_BOOKS_YEARS=%(years)s), "
                "then delete the data directory and every backup."
            )
            % {"date": self.keep_books_until.isoformat(), "years": settings.KEEP_BOOKS_YEARS},
        ]
        if self.vacuum:
            out.append(self.vacuum)
        return out


# --- confirmations ---------------------------------------------------------------------------


def check_confirmations(typed_name: str, confirmations: list[tuple[str, str]]) -> list[User]:
    """The operator typed the organisation's name, and two different active coordinators
    opened their own keys with their passphrases. Returns the coordinators. Raises
    WindDownRefusedError (and records the refusal) otherwise."""
    org = Organisation.objects.order_by("id").first()
    if org is None or (typed_name or "").strip() != org.name:
        raise WindDownRefusedError(_("The organisation's name was not typed exactly."))
    usernames = [username for username, _passphrase in confirmations]
    if len(set(usernames)) < CONFIRMATIONS_NEEDED:
        raise WindDownRefusedError(_("Two different coordinators must confirm."))
    confirmed = []
    for username, passphrase in confirmations:
        user = User.objects.filter(username=username).first()
        if user is None or not user.is_coordinator or user.revoked_at is not None:
            raise WindDownRefusedError(
                _("%(name)s is not an active coordinator.") % {"name": username}
            )
        try:
            keyring.unlock_staff_key(user, passphrase)
        except core.VaultError:
            audit.record("winddown.refused", actor=user, why="passphrase")
            raise WindDownRefusedError(
                _("The passphrase did not open the key of %(name)s.") % {"name": username}
            ) from None
        confirmed.append(user)
    return confirmed


# --- finding what to shred ---------------------------------------------------------------------


def _is_public_key(column: models.Field) -> bool:
    return column.name.endswith("public_key")


def secret_columns() -> dict[type[models.Model], list[models.Field]]:
    """Every binary column of every installed model that is not a public key: sealed and
    locked material, keyed digests, digest keys. New ones are found without being listed."""
    found = {}
    for model in apps.get_models():
        columns = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.BinaryField) and not _is_public_key(f)
        ]
        if columns:
            found[model] = columns
    return found


def _protecting_relations(model: type[models.Model]):
    """Foreign keys from other models that stop rows of ``model`` being deleted."""
    return [
        rel
        for rel in model._meta.related_objects
        if rel.on_delete in (models.PROTECT, models.RESTRICT) and rel.field.concrete
    ]


def _cascading_relations(model: type[models.Model]):
    return [
        rel
        for rel in model._meta.related_objects
        if rel.on_delete is models.CASCADE and rel.field.concrete
    ]


def _books_case_ids() -> set[int]:
    """Cases the books point at (a plan, a commitment, a payout destination): their rows stay
    with programme, status and day, everything sealed emptied."""
    ids: set[int] = set()
    for rel in _protecting_relations(Case):
        ids.update(
            rel.related_model._base_manager.exclude(**{f"{rel.field.name}__isnull": True})
            .values_list(rel.field.attname, flat=True)
            .distinct()
        )
    return ids


def _empty(model, columns, report: WindDownReport) -> None:
    values = {c.name: (None if c.null else b"") for c in columns}
    for column in columns:
        # Count the rows that still hold something, then empty them all in one statement.
        filled = model._base_manager.exclude(**{f"{column.name}__isnull": True}).exclude(
            **{column.name: b""}
        )
        report.emptied[f"{model._meta.label}.{column.name}"] += filled.count()
    model._base_manager.update(**values)


def _delete(qs, report: WindDownReport) -> None:
    _total, by_label = qs.delete()
    report.deleted.update({label: n for label, n in by_label.items() if n})


def _shred_cases(report: WindDownReport) -> set[int]:
    kept = _books_case_ids()
    # What hangs off a case the books keep: messages, files, checklist, decisions, key
    # copies, screening rows. Deleted as if the case were.
    for rel in _cascading_relations(Case):
        if rel.related_model._meta.app_label in BOOKS_APPS:
            continue  # never delete the books, even where they would follow a case
        _delete(rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": kept}), report)
    _delete(Case._base_manager.exclude(pk__in=kept), report)
    return kept


def _shred_secret_rows(report: WindDownReport) -> None:
    pending = {
        model: columns
        for model, columns in secret_columns().items()
        if model._meta.app_label not in BOOKS_APPS and model is not Case
    }
    # A row may be protected only until another is gone (a screening key by the screening
    # rows of cases): a few passes, then whatever is still protected is emptied in place.
    for _pass in range(3):
        for model in sorted(pending, key=lambda m: m._meta.label):
            try:
                with transaction.atomic():
                    _delete(model._base_manager.all(), report)
            except (ProtectedError, RestrictedError):
                continue
            pending[model] = []
        pending = {m: c for m, c in pending.items() if c}
    for model, columns in sorted(pending.items(), key=lambda kv: kv[0]._meta.label):
        _empty(model, columns, report)
    for model, columns in sorted(secret_columns().items(), key=lambda kv: kv[0]._meta.label):
        if model._meta.app_label in BOOKS_APPS or model is Case:
            _empty(model, columns, report)


def _delete_the_rest(report: WindDownReport) -> None:
    for label in ALSO_DELETED:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        _delete(model._base_manager.all(), report)


def _count(label: str) -> int:
    try:
        return apps.get_model(label)._base_manager.count()
    except LookupError:
        return 0


def _what_is_kept(report: WindDownReport, kept_cases: int) -> None:
    until = report.keep_books_until.isoformat()
    books = _("the books: kept by law until %(date)s") % {"date": until}
    report.kept = [
        ("ledger.Account", _count("ledger.Account"), books),
        ("ledger.Entry", _count("ledger.Entry"), books),
        ("ledger.Posting", _count("ledger.Posting"), books),
        (
            "ledger.Donation",
            _count("ledger.Donation"),
            _("amounts and dates; donor contacts emptied"),
        ),
        (
            "ledger.Commitment",
            _count("ledger.Commitment"),
            _("what was promised to whom (by case code); payout details emptied"),
        ),
        (
            "cases.Case",
            kept_cases,
            _("referenced by the books: code, programme, status and day only; nothing sealed"),
        ),
        (
            "audit.AuditEvent",
            _count("audit.AuditEvent"),
            _("the hash-chained record of every staff action; `solidarity audit verify`"),
        ),
        (
            "accounts.User",
            _count("accounts.User"),
            _("pseudonyms and roles named by the audit log; their keys are deleted"),
        ),
    ]


def _books_until(today: datetime.date) -> datetime.date:
    years = settings.KEEP_BOOKS_YEARS
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


class _DryRunDone(Exception):
    """Raised at the end of a dry run to roll back every change it made."""


def _uploads() -> Path:
    return Path(settings.UPLOADS_DIR)


def _files_under(path: Path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _wipe_uploads() -> int:
    """Delete every file under UPLOADS_DIR: each attachment's ciphertext, and any left behind
    by a crash (a ``.part``) or by a row deleted outside the services."""
    root = _uploads()
    count = _files_under(root)
    if root.exists():
        for child in root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink(missing_ok=True)
    return count


def _vacuum() -> str:
    """Give freed database pages back, so they no longer hold old sealed bytes."""
    if connection.in_atomic_block:
        return _("Not vacuumed (inside a transaction): run the database's VACUUM by hand.")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("VACUUM")
            # WAL mode: the log still holds the pages written before; fold it in and empty it.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return _("SQLite: VACUUM done and the write-ahead log truncated.")
        if connection.vendor == "postgresql":
            for model in sorted(secret_columns(), key=lambda m: m._meta.db_table):
                cursor.execute(f"VACUUM FULL {connection.ops.quote_name(model._meta.db_table)}")
            return _(
                "PostgreSQL: VACUUM FULL done on every table with secret columns; old WAL "
                "segments and base backups still hold the data until they are deleted."
            )
    return _("This database was not vacuumed: see the operator guide.")


def wind_down(
    typed_name: str, confirmations: list[tuple[str, str]], *, dry_run: bool = False
) -> WindDownReport:
    """Shred every case and everything sealed, keep the books and the audit log, and report.

    ``confirmations`` is [(username, passphrase), …] from two different coordinators. A dry
    run needs no confirmation, changes nothing (it rolls back) and deletes no file. Raises
    WindDownRefusedError.
    """
    org = Organisation.objects.order_by("id").first()
    by = None
    if not dry_run:
        by = check_confirmations(typed_name, confirmations)
    report = WindDownReport(
        organisation=org.name if org else "",
        dry_run=dry_run,
        keep_books_until=_books_until(timezone.localdate()),
    )
    if connection.vendor == "sqlite" and not dry_run:
        # Freed pages are overwritten with zeros as rows are deleted, not merely unlinked.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    try:
        with transaction.atomic():
            report.files_deleted = _files_under(_uploads())
            kept_cases = _shred_cases(report)
            _shred_secret_rows(report)
            _delete_the_rest(report)
            _what_is_kept(report, len(kept_cases))
            if dry_run:
                raise _DryRunDone
            audit.record(
                "winddown.completed",
                actor=by[0],
                confirmed_by=[user.username for user in by],
                **report.as_details(),
            )
    except _DryRunDone:
        audit.record("winddown.dry_run", **report.as_details())
        return report
    report.files_deleted = _wipe_uploads()
    report.vacuum = _vacuum()
    return report
