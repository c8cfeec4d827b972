"""Pledges counted by status, kept up to date as they change: what the summary page reads instead of counting every
pledge on each request (three GROUP BYs took 2.4–3.7 s at 1,000,000 pledges; bench/README.md).

`StatusCount` holds one row per key — (lead organization, category or 0, top level or a part, status) — with how many
pledges have that key. A pledge set aside (suspended or not applicable, `models.SET_ASIDE`) has no key: it is not
counted until it is resumed. Every way a pledge moves from one key to another (or to none) adds its move here:

- the write path (`actions._recompute`): a `Tally` of each re-assessed pledge's key before and after;
- the nightly jobs: `jobs.write_assessments` calls `record_rewrite` (the chunk's keys as stored, before they are
  written over), and the overdue sweep's single UPDATE calls `record_batch` (one GROUP BY over the rows it tagged);
- any save or delete of a pledge (admin, imports, seeds, factories) and a category's deletion: the signals connected
  by `keep_counting`, which compare with the row as stored;
- `rebuild()` counts everything again (`manage.py rebuild_counts`, and the end of the nightly sweep, so that any drift
  heals overnight).

`apply` adds a tally to the table with one upsert per key, the keys in order, in the caller's transaction: two writers
that touch the same keys lock them in the same order, so one waits for the other instead of both deadlocking.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.db.models.signals import post_delete, post_save, pre_save

from . import access
from .models import SET_ASIDE, Category, Pledge, StatusCount, TreePosition

# (lead organization id, category id or 0, top level, status)
Key = tuple[int, int, bool, str]
# The pledge columns a key is made of, as stored (the last two: set aside, no key); and the fields whose change moves a
# pledge to another key.
KEY_COLUMNS = ("lead_organization_id", "category_id", "parent_id", "target_status", "suspended", "not_applicable")
KEY_FIELDS = {
    "lead_organization", "lead_organization_id", "category", "category_id", "parent", "parent_id", "target_status",
    "suspended", "not_applicable",
}
UPSERT_BATCH = 500  # keys per INSERT statement (5 parameters each, well under SQLite's limit)


def key(
    organization_id: int, category_id: int | None, parent_id: int | None, status: str,
    suspended: bool = False, not_applicable: bool = False,
) -> Key | None:
    """The key a pledge is counted under; None for a pledge set aside, which is not counted."""
    if suspended or not_applicable:
        return None
    return (organization_id, category_id or 0, parent_id is None, status)


def key_of(pledge: Pledge) -> Key | None:
    return key(*(getattr(pledge, column) for column in KEY_COLUMNS))


class Tally(Counter):
    """Changes to the counts, by key, added up before they are applied."""

    def move(self, before: Key | None, after: Key | None) -> None:
        """One pledge moved from `before` to `after` (None: it did not exist or was set aside before, or no longer
        exists or is set aside now)."""
        if before == after:
            return
        if before is not None:
            self[before] -= 1
        if after is not None:
            self[after] += 1

    def apply(self) -> None:
        apply(self)


def apply(tally: Counter) -> None:
    """Add each key's change to its row (created at need), in the caller's transaction: one upsert per key, in key
    order, a batch of keys per statement."""
    changes = sorted((key_, n) for key_, n in tally.items() if n)
    if not changes:
        return
    table = connection.ops.quote_name(StatusCount._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(changes), UPSERT_BATCH):
            batch = changes[start : start + UPSERT_BATCH]
            cursor.execute(
                f"INSERT INTO {table} (organization_id, category_id, top_level, status, n) "
                f"VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(batch))} "
                f"ON CONFLICT (organization_id, category_id, top_level, status) DO UPDATE SET n = {table}.n + excluded.n",
                [value for key_, n in batch for value in (*key_, n)],
            )


# --- The jobs' bulk writes -------------------------------------------------------------------------


def record_rewrite(pledges: list[Pledge]) -> None:
    """Called just before the assessed columns of `pledges` (rows the caller holds locked) are written over: moves each
    from its key as stored to the same key with its new status. One query and the upserts."""
    new_status = {pledge.pk: pledge.target_status for pledge in pledges}
    tally = Tally()
    stored = Pledge.objects.filter(pk__in=list(new_status)).values_list("pk", *KEY_COLUMNS).order_by()
    for pk, organization_id, category_id, parent_id, status, *set_aside in stored:
        tally.move(
            key(organization_id, category_id, parent_id, status, *set_aside),
            key(organization_id, category_id, parent_id, new_status[pk], *set_aside),
        )
    tally.apply()


def record_batch(batch) -> None:
    """Called after the overdue sweep's UPDATE, which tagged the rows it changed with `batch` and kept their
    `previous_status`: one GROUP BY over those rows gives the moves."""
    tally = Tally()
    rows = (
        Pledge.objects.filter(status_batch=batch)
        .exclude(SET_ASIDE)  # the sweep passes over them; should one be tagged, it has no key to move
        .values("lead_organization_id", "category_id", "previous_status", "target_status", top=_TOP_LEVEL)
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        place = (row["lead_organization_id"], row["category_id"] or 0, bool(row["top"]))
        tally[(*place, row["previous_status"])] -= row["n"]
        tally[(*place, row["target_status"])] += row["n"]
    tally.apply()


_TOP_LEVEL = ExpressionWrapper(Q(parent__isnull=True), output_field=BooleanField())


def rebuild() -> int:
    """Count every pledge again and replace the table with the result, in one transaction; returns the rows written.

    On PostgreSQL the table is locked against writers first, so that a writer either committed before the recount
    (and is in it) or adds its change after (to the recount, which did not see it)."""
    table = connection.ops.quote_name(StatusCount._meta.db_table)
    pledges = connection.ops.quote_name(Pledge._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (organization_id, category_id, top_level, status, n) "
            f"SELECT lead_organization_id, COALESCE(category_id, 0), parent_id IS NULL, target_status, COUNT(*) "
            f"FROM {pledges} WHERE NOT suspended AND NOT not_applicable "
            f"GROUP BY lead_organization_id, COALESCE(category_id, 0), parent_id IS NULL, target_status"
        )
        return cursor.rowcount


def stored() -> Counter:
    """{key: n} as the table holds it (keys counted 0 left out)."""
    return Counter({
        (organization_id, category_id, bool(top_level), status): n
        for organization_id, category_id, top_level, status, n in StatusCount.objects.exclude(n=0).values_list(
            "organization_id", "category_id", "top_level", "status", "n"
        )
    })


def counted_live() -> Counter:
    """{key: n} counted from the pledges themselves (those not set aside): what `stored()` must equal."""
    rows = (
        Pledge.objects.exclude(SET_ASIDE)
        .values(*KEY_COLUMNS[:2], "target_status", top=_TOP_LEVEL).annotate(n=Count("id")).order_by()
    )
    return Counter({
        (row["lead_organization_id"], row["category_id"] or 0, bool(row["top"]), row["target_status"]): row["n"]
        for row in rows
    })


# --- Saves and deletes outside the jobs and the write path ------------------------------------------


def keep_counting() -> None:
    """Count the saves and deletes of single pledges (admin, imports, seeds, factories) and a category's deletion
    (its pledges are left without one). Connected once by the app's ready()."""
    pre_save.connect(_before_save, sender=Pledge, dispatch_uid="counts_before_save")
    post_save.connect(_after_save, sender=Pledge, dispatch_uid="counts_after_save")
    post_delete.connect(_after_delete, sender=Pledge, dispatch_uid="counts_after_delete")
    post_delete.connect(_after_category_delete, sender=Category, dispatch_uid="counts_after_category_delete")


_NOT_COUNTED = object()  # a save that cannot move the pledge to another key


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """Read the key's columns as stored (locked when in a transaction): the save moves the pledge from there.

    A raw save (a fixture, a restored backup) is not counted: such data bring their own counts, or are followed by a
    rebuild."""
    if raw or (update_fields is not None and not KEY_FIELDS & set(update_fields)):
        instance._stored_key_row = _NOT_COUNTED
        return
    row = None
    if instance.pk is not None:
        rows = Pledge.objects.filter(pk=instance.pk)
        if connection.in_atomic_block:
            rows = rows.select_for_update()
        row = rows.values_list(*KEY_COLUMNS).first()
    instance._stored_key_row = row  # None: a new pledge


def _after_save(sender, instance, raw=False, update_fields=None, **kwargs):
    row = instance.__dict__.pop("_stored_key_row", _NOT_COUNTED)
    if row is _NOT_COUNTED:
        return
    after = [getattr(instance, column) for column in KEY_COLUMNS]
    if update_fields is not None and row is not None:
        # Columns left out of update_fields keep their stored values.
        saved = set(update_fields)
        after = [
            new if saved & {column, column.removesuffix("_id")} else old
            for new, old, column in zip(after, row, KEY_COLUMNS)
        ]
    tally = Tally()
    tally.move(key(*row) if row else None, key(*after))
    tally.apply()


def _after_delete(sender, instance, **kwargs):
    tally = Tally()
    tally.move(key_of(instance), None)
    tally.apply()


def _after_category_delete(sender, instance, **kwargs):
    """Its pledges were just set to no category (on_delete=SET_NULL, same transaction): their counts follow."""
    tally = Tally()
    rows = StatusCount.objects.filter(category_id=instance.pk).select_for_update()
    for organization_id, top_level, status, n in rows.values_list("organization_id", "top_level", "status", "n"):
        tally[(organization_id, instance.pk, bool(top_level), status)] -= n
        tally[(organization_id, 0, bool(top_level), status)] += n
    tally.apply()


# --- What the summary page reads ---------------------------------------------------------------------


@dataclass
class Summary:
    """The pledges a user sees, counted by status: overall, for each organization's subtree, for each category."""

    by_status: Counter = field(default_factory=Counter)
    # (organization, its subtree's counts) for each organization the user sees with any pledge led in it, tree order.
    by_organization: list = field(default_factory=list)
    # (category, counts) for each category with any pledge, in the categories' order.
    by_category: list = field(default_factory=list)
    uncategorized: int = 0


@dataclass
class OrganizationInTree(TreePosition):
    """What the summary's matrix needs of an organization: read as plain values, not model instances (a province's
    2,000 instances took 14 ms of each summary page), with its ancestors read from its path once."""

    pk: int
    parent_id: int | None
    tree_path: str
    name: str
    short_name: str

    def __post_init__(self):
        self._ancestors = super().ancestor_ids()  # the sums and the folding both walk them

    def ancestor_ids(self) -> list[int]:
        return self._ancestors

    def __str__(self):
        return self.name


def organizations_in_tree(user) -> list[OrganizationInTree]:
    """The organizations `user` sees, in tree order."""
    rows = access.organizations_for(user).values_list("pk", "parent_id", "tree_path", "name", "short_name")
    return [OrganizationInTree(*row) for row in rows.order_by("tree_path")]


def summary_for(user, *, top_only: bool) -> Summary:
    """Count the pledges `user` sees (top-level ones only, or every level).

    The pledges led inside the user's organizations' subtrees (all of them, for an administrator) are read from the
    table. A user with a scope sees a few more — pledges elsewhere that their organizations co-own, and the pledges
    that their parts belong to — and those are counted live. Those are never led under any of the user's
    organizations, so they count overall and by category, and in no organization row the user sees."""
    organizations = organizations_in_tree(user)
    stored_rows = StatusCount.objects.exclude(n=0)
    if top_only:
        stored_rows = stored_rows.filter(top_level=True)
    by_category = defaultdict(Counter)
    by_lead = defaultdict(Counter)
    if not access.sees_every_organization(user):
        own = [org.pk for org in organizations]
        stored_rows = stored_rows.filter(organization_id__any_of=own)
        others = access.pledges_seen_beyond_own_subtrees(user).exclude(SET_ASIDE)
        if top_only:
            others = others.filter(parent__isnull=True)
        for category_id, status, n in others.values_list("category_id", "target_status").annotate(n=Count("id")).order_by():
            by_category[category_id or 0][status] += n
    grouped = stored_rows.values_list("organization_id", "category_id", "status").annotate(total=Sum("n")).order_by()
    for organization_id, category_id, status, n in grouped:
        by_lead[organization_id][status] += n
        by_category[category_id][status] += n

    summary = Summary()
    for counts in by_category.values():
        summary.by_status.update(counts)
    subtree = counts_by_subtree(by_lead, organizations)
    summary.by_organization = [(org, subtree[org.pk]) for org in organizations if subtree.get(org.pk)]
    summary.by_category = [(c, by_category[c.pk]) for c in Category.objects.all() if by_category.get(c.pk)]
    summary.uncategorized = sum(by_category.get(0, Counter()).values())
    return summary


def counts_by_subtree(by_lead: dict, organizations: list) -> dict[int, Counter]:
    """Each organization's subtree counts, from the counts of the pledges each organization leads (`by_lead`: id ->
    Counter), added into the organization and every one above it among `organizations`."""
    chains = {org.pk: (*org.ancestor_ids(), org.pk) for org in organizations}
    subtree = defaultdict(Counter)
    for organization_id, counts in by_lead.items():
        for ancestor_id in chains.get(organization_id, ()):
            subtree[ancestor_id].update(counts)
    return subtree


# The organization matrix shows at most about this many rows: the top of the tree, one more level while it fits, and
# a link to drill into each organization whose children are folded (a province's 2,000 offices made a 1 MB page).
SUMMARY_ORGANIZATION_ROWS = 60


@dataclass
class FoldedRow:
    organization: object
    counts: Counter
    indent: int
    folded: int  # organizations below it with pledges that are not shown (0: nothing to drill into)


def fold_organizations(by_organization: list, under=None, budget: int = SUMMARY_ORGANIZATION_ROWS) -> list[FoldedRow]:
    """The rows of the organization matrix: the organizations at the top of what the user sees (or `under` and its
    children), then each next level whole as long as the rows stay within `budget`. `by_organization` is
    Summary.by_organization (tree order, each with its subtree's counts); `under` one of its organizations."""
    if under is not None:
        by_organization = [(org, c) for org, c in by_organization if org.tree_path.startswith(under.tree_path)]
    ids = {org.pk for org, _ in by_organization}
    children = defaultdict(list)
    roots = []
    for org, org_counts in by_organization:
        (children[org.parent_id] if org.parent_id in ids else roots).append((org, org_counts))
    below = Counter()  # each organization's descendants with pledges
    for org, _ in by_organization:
        for ancestor_id in org.ancestor_ids():
            below[ancestor_id] += 1

    shown, level = set(), roots
    while level and (not shown or len(shown) + len(level) <= budget or (under is not None and len(shown) == 1)):
        shown.update(org.pk for org, _ in level)
        level = [child for org, _ in level for child in children[org.pk]]
    top_depth = min((org.depth for org, _ in roots), default=0)
    return [
        FoldedRow(org, org_counts, org.depth - top_depth,
                  below[org.pk] if not any(child.pk in shown for child, _ in children[org.pk]) else 0)
        for org, org_counts in by_organization if org.pk in shown
    ]
