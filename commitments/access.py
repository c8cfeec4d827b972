"""Who may see and do what. One place, used by the admin, the pages and the exports.

A membership gives a role in an organization and reaches everything under it:
- reporter: sees the subtree's pledges, records progress on them and asks for their revision;
- reviewer: sees them and approves or returns updates and revision requests (never their own);
- manager: sees them (pages, tables, exports); changes nothing;
- administrator: everything, as does a superuser.
Managers and administrators also write instructions (批示) on the subtree's pledges; the addressee's reporters answer.
A pledge belongs to a subtree when its lead organization or one of its co-owners is in it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db.models import Func, Q, QuerySet, Subquery, Value
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Instruction, Membership, Organization, Pledge, ProgressUpdate, Revision, SourceDocument

Role = Membership.Role
SEES = {Role.REPORTER, Role.REVIEWER, Role.MANAGER, Role.ADMINISTRATOR}


def is_administrator(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return _roles(user).get(Role.ADMINISTRATOR) is not None


def _roles(user) -> dict[str, list[str]]:
    """{role: [tree paths]} for the user's memberships, cached on the user object for the request. The same query
    counts the top organizations (user._tracker_tops, read by _top_count), so that a member of every one of them is
    known to see everything without reading the ids of a province's organizations (_scope)."""
    cached = getattr(user, "_tracker_roles", None)
    if cached is None:
        cached, user._tracker_tops = {}, None
        if user.is_authenticated and user.is_active:
            tops = Organization.objects.filter(parent__isnull=True).order_by().annotate(n=Func("pk", function="COUNT"))
            rows = Membership.objects.filter(user=user).values_list("role", "organization__tree_path").annotate(
                tops=Subquery(tops.values("n")))
            for role, path, top_count in rows:
                cached.setdefault(role, []).append(path)
                user._tracker_tops = (top_count, _subtrees_changed[0])  # good until an organization changes
        user._tracker_roles = cached
    return cached


def has_a_role(user) -> bool:
    """An administrator, or a member with a role somewhere: they open the tracker's admin pages (which rows, the
    functions below decide)."""
    return is_administrator(user) or bool(paths(user))


def paths(user, roles=SEES) -> list[str]:
    found = _roles(user)
    return [path for role in roles for path in found.get(role, [])]


def _in_paths(prefix: str, tree_paths: list[str]) -> Q:
    condition = Q(pk__in=[])
    for path in tree_paths:
        condition |= Q(**{f"{prefix}tree_path__startswith": path})
    return condition


def pledges_for(user, queryset: QuerySet | None = None, roles=SEES) -> QuerySet:
    """The pledges `user` may see (or act on with one of `roles`).

    Seeing (the default roles) also reaches the pledges that a pledge they own is a part of, up to the top: what they
    contribute to. Those are read-only (no other role reaches them), and their other parts stay out of sight unless the
    user's organizations own them too.
    """
    queryset = Pledge.objects.all() if queryset is None else queryset
    if is_administrator(user):
        return queryset
    tree_paths = paths(user, roles)
    if not tree_paths:
        return queryset.none()
    # Ids, not a join and a subquery: `lead organization's path LIKE … OR id IN (subquery)` made PostgreSQL read every
    # pledge (56-105 ms at 100,000 pledges), while `lead_organization_id = ANY(…) OR id = ANY(…)` is two index scans
    # (each list one array parameter: commitments.lookups).
    scope = _scope(user, tree_paths, with_wholes=roles == SEES)
    if scope.everything:
        return queryset
    owned = Q(lead_organization_id__any_of=scope.organization_ids)
    if scope.other_pledges:
        owned |= Q(pk__any_of=scope.other_pledges)
    return queryset.filter(owned)


def pledges_seen_beyond_own_subtrees(user) -> QuerySet:
    """The pledges `user` sees that no organization in their subtrees leads: the ones their organizations co-own and
    the ones their pledges are parts of (none for an administrator). Found from the co-owner rows and the parts' paths,
    so that counting them reads those few rows, not every pledge (the summary page, commitments.counts)."""
    tree_paths = paths(user)
    if is_administrator(user) or not tree_paths:
        return Pledge.objects.none()
    led_inside = _in_paths("lead_organization__", tree_paths)
    co_owned = Pledge.co_owners.through.objects.filter(_in_paths("organization__", tree_paths)).values_list("pledge_id", flat=True)
    co_owned = list(co_owned)  # ids, not a subquery: an OR of subqueries would read every pledge
    wholes = _wholes_of_parts(led_inside | Q(pk__in=co_owned))
    return Pledge.objects.filter(pk__in=sorted({*co_owned, *wholes})).exclude(led_inside)


# Bumped by any save or delete of an organization, a co-owner row or a part (signals in connect_signals), so that a
# user object kept across such writes (tests, jobs) asks again; a web request's user is loaded afresh each request.
_subtrees_changed = [0]


@dataclass(frozen=True)
class Scope:
    """What a user's subtrees reach, as ids: pledges_for filters on these instead of joining the tree."""

    organization_ids: list[int]
    other_pledges: list[int]  # pledges led elsewhere: co-owned ones, and (for seeing) the wholes of their parts
    everything: bool  # the subtrees hold every top organization, so every pledge: no filter at all


def _scope(user, tree_paths: list[str], with_wholes: bool) -> Scope:
    """The user's Scope for these subtrees (with the wholes of their parts or not), kept on the user object (like
    _roles) until an organization, a co-ownership or a part changes: one query for the subtrees, one more for the
    wholes, whatever the roles and however many times a request asks."""
    cache = user.__dict__.setdefault("_tracker_scope", {})
    if cache.get("changed") != _subtrees_changed[0]:
        cache.clear()
        cache["changed"] = _subtrees_changed[0]
    subtrees = tuple(sorted(tree_paths))
    if (subtrees, False) not in cache:
        # A top organization's path is "/<id>/"; members of all of them see every pledge: no ids needed.
        tops_held = sum(1 for path in set(subtrees) if path.count("/") == 2)
        cache[(subtrees, False)] = (Scope([], [], everything=True) if tops_held == _top_count(user)
                                    else _read_scope(tree_paths))
    if with_wholes and (subtrees, True) not in cache:
        scope = cache[(subtrees, False)]
        if not scope.everything:
            owned = Q(lead_organization_id__any_of=scope.organization_ids) | Q(pk__any_of=scope.other_pledges)
            scope = replace(scope, other_pledges=sorted({*scope.other_pledges, *_wholes_of_parts(owned)}))
        cache[(subtrees, True)] = scope
    return cache[(subtrees, with_wholes)]


def _top_count(user) -> int:
    """How many top organizations there are: counted by the roles query (_roles), again once an organization changed."""
    kept = getattr(user, "_tracker_tops", None)
    if kept is None or kept[1] != _subtrees_changed[0]:
        kept = user._tracker_tops = (Organization.objects.filter(parent__isnull=True).count(), _subtrees_changed[0])
    return kept[0]


def _read_scope(tree_paths: list[str]) -> Scope:
    """The ids of the organizations in these subtrees and of the pledges they co-own, in one query."""
    organizations = Organization.objects.filter(_in_paths("", tree_paths))
    co_owner_rows = Pledge.co_owners.through.objects.filter(organization__in=organizations.values("pk"))
    found = organizations.order_by().annotate(co_owned=Value(False)).values_list("pk", "co_owned").union(
        co_owner_rows.order_by().annotate(co_owned=Value(True)).values_list("pledge_id", "co_owned"), all=True,
    )
    organization_ids, co_owned = set(), set()
    for pk, is_co_owned in found:
        (co_owned if is_co_owned else organization_ids).add(pk)
    return Scope(sorted(organization_ids), sorted(co_owned), everything=False)


def subtrees_changed(**kwargs):
    _subtrees_changed[0] += 1


def part_changed(instance, **kwargs):
    if instance.parent_id is not None:
        subtrees_changed()


def connect_signals():
    for model in (Organization, Pledge.co_owners.through):
        post_save.connect(subtrees_changed, sender=model, dispatch_uid=f"access-subtrees-{model.__name__}-save")
        post_delete.connect(subtrees_changed, sender=model, dispatch_uid=f"access-subtrees-{model.__name__}-delete")
    m2m_changed.connect(subtrees_changed, sender=Pledge.co_owners.through, dispatch_uid="access-subtrees-co-owners")
    post_save.connect(part_changed, sender=Pledge, dispatch_uid="access-parts-save")
    post_delete.connect(part_changed, sender=Pledge, dispatch_uid="access-parts-delete")


def _wholes_of_parts(owned: Q) -> list[int]:
    """The ids of every pledge above the parts matched by `owned` (read from their parents' paths, one query)."""
    parents = Pledge.objects.filter(owned, parent__isnull=False).values("parent_id")
    ids = set()
    for path in Pledge.objects.filter(pk__in=parents).values_list("tree_path", flat=True):
        ids.update(int(part) for part in path.strip("/").split("/") if part)
    return sorted(ids)


def sees_every_organization(user) -> bool:
    """An administrator, or a member whose subtrees hold every top organization (a province's managers)."""
    if is_administrator(user):
        return True
    tree_paths = paths(user)
    return bool(tree_paths) and _scope(user, tree_paths, with_wholes=True).everything


def organizations_for(user) -> QuerySet:
    if sees_every_organization(user):
        return Organization.objects.all()
    return Organization.objects.filter(_in_paths("", paths(user)))


def can_see(user, pledge: Pledge) -> bool:
    return pledges_for(user).filter(pk=pledge.pk).exists()


def documents_for(user) -> QuerySet:
    """The source documents `user` may open: all for an administrator, else those with a pledge they may see."""
    if is_administrator(user):
        return SourceDocument.objects.all()
    return SourceDocument.objects.filter(pk__in=pledges_for(user).values("source_document"))


def can_open_file(user, name: str) -> bool:
    """An uploaded file, by its stored name: an evidence file (of a progress update or of a request to close) goes to
    whoever may see its pledge, a document's file to whoever may open the document. A name no row refers to is open
    to no one."""
    if not name:  # rows without a file store ""
        return False
    return (
        updates_for(user).filter(evidence_file=name).exists()
        or revisions_for(user).filter(evidence_file=name).exists()
        or documents_for(user).filter(file=name).exists()
    )


def can_report(user, pledge: Pledge) -> bool:
    return pledges_to_report_on(user).filter(pk=pledge.pk).exists()


def can_review(user, update: ProgressUpdate) -> bool:
    """A reviewer of the pledge's subtree (or an administrator) who did not report the update."""
    return _reviews(user, update.pledge_id, author_id=update.reporter_id)


def can_request_revision(user, pledge: Pledge) -> bool:
    """Asking to change a pledge's terms, to suspend it, to resume it or to close it: whoever may report on it (or an
    administrator). Reopening is can_reopen's."""
    return can_report(user, pledge)


def can_reopen(user, pledge: Pledge) -> bool:
    """Reopening a closed pledge (办结 / 销号 undone): an administrator's alone, applied at once."""
    return is_administrator(user)


def can_review_revision(user, revision: Revision) -> bool:
    """Deciding on a revision request: as for progress, a reviewer of the pledge's subtree (or an administrator) who
    did not make the request."""
    return _reviews(user, revision.pledge_id, author_id=revision.requested_by_id)


def _reviews(user, pledge_id: int, *, author_id: int | None) -> bool:
    """A reviewer or administrator of the pledge, who is not the author of what is reviewed (never one's own)."""
    if author_id is not None and author_id == user.pk:
        return False
    return pledges_to_review(user).filter(pk=pledge_id).exists()


def can_edit_pledges(user) -> bool:
    return is_administrator(user)


def needs_approval(pledge: Pledge) -> bool:
    """Approval is switched on for the pledge's lead organization or any organization above it."""
    org = pledge.lead_organization
    ids = [org.pk, *org.ancestor_ids()]
    return Organization.objects.filter(pk__in=ids, requires_approval=True).exists()


def pledges_to_report_on(user, queryset: QuerySet | None = None) -> QuerySet:
    """The pledges `user` may record progress on: the ones can_report says yes to."""
    return pledges_for(user, queryset, roles={Role.REPORTER, Role.ADMINISTRATOR})


def pledges_to_review(user, queryset: QuerySet | None = None) -> QuerySet:
    """The pledges whose updates and revision requests `user` may decide (never their own: see _reviews)."""
    return pledges_for(user, queryset, roles={Role.REVIEWER, Role.ADMINISTRATOR})


def pledges_to_chase(user, queryset: QuerySet | None = None) -> QuerySet:
    """The pledges whose late report `user` may chase (催办, the completeness page): those of a subtree they review,
    manage or administer. Reporters are the ones chased, not the ones chasing."""
    return pledges_for(user, queryset, roles={Role.REVIEWER, Role.MANAGER, Role.ADMINISTRATOR})


def can_chase(user, pledge: Pledge) -> bool:
    return pledges_to_chase(user).filter(pk=pledge.pk).exists()


def updates_for(user) -> QuerySet:
    """The progress updates `user` may see: those of the pledges they see."""
    return ProgressUpdate.objects.filter(pledge__in=pledges_for(user))


def revisions_for(user) -> QuerySet:
    """The revision requests `user` may see: those of the pledges they see."""
    return Revision.objects.filter(pledge__in=pledges_for(user))


def updates_to_correct(user) -> QuerySet:
    """The progress updates `user` may correct with a new update: those of the pledges they report on."""
    return ProgressUpdate.objects.filter(pledge__in=pledges_to_report_on(user))


# --- Instructions (批示) -------------------------------------------------------------------------------


def pledges_to_instruct(user, queryset: QuerySet | None = None) -> QuerySet:
    """The pledges `user` may write an instruction on: those of a subtree they manage or administer."""
    return pledges_for(user, queryset, roles={Role.MANAGER, Role.ADMINISTRATOR})


def can_instruct(user, pledge: Pledge) -> bool:
    if is_administrator(user):
        return True  # every pledge: no query (the pledge page asks)
    return pledges_to_instruct(user).filter(pk=pledge.pk).exists()


def may_instruct_somewhere(user) -> bool:
    """Whether `user` may write an instruction on some pledge (the admin's add button)."""
    return is_administrator(user) or bool(paths(user, {Role.MANAGER}))


def instructions_for(user) -> QuerySet:
    """The instructions `user` may read: those of the pledges they see."""
    return Instruction.objects.filter(pledge__in=pledges_for(user))


def _instructions_answerable(user) -> QuerySet:
    """Instructions addressed to an organization in a subtree where `user` reports (any, for an administrator), on a
    pledge they see: whatever their state."""
    if is_administrator(user):
        return Instruction.objects.all()
    reporting = paths(user, {Role.REPORTER})
    if not reporting:
        return Instruction.objects.none()
    return Instruction.objects.filter(_in_paths("addressee__", reporting), pledge__in=pledges_for(user))


def can_answer_instruction(user, instruction: Instruction) -> bool:
    """A reporter of the addressee organization's subtree who sees the pledge, or an administrator (the instruction's
    state is the action's to check)."""
    return _instructions_answerable(user).filter(pk=instruction.pk).exists()


def instructions_to_answer(user) -> QuerySet:
    """The open instructions `user` may answer."""
    return _instructions_answerable(user).filter(state=Instruction.State.OPEN)


def _instructions_decidable(user) -> QuerySet:
    """Instructions whose answer `user` may accept (close) or send back: those they wrote, on pledges they may still
    instruct on; any, for an administrator. Whatever their state."""
    if is_administrator(user):
        return Instruction.objects.all()
    if not paths(user, {Role.MANAGER}):
        return Instruction.objects.none()
    return Instruction.objects.filter(written_by=user, pledge__in=pledges_to_instruct(user))


def can_close_instruction(user, instruction: Instruction) -> bool:
    """Accepting an answer (closing) or sending it back (the state is the action's to check)."""
    return _instructions_decidable(user).filter(pk=instruction.pk).exists()


def instructions_to_decide(user) -> QuerySet:
    """The answered instructions `user` may close or return."""
    return _instructions_decidable(user).filter(state=Instruction.State.ANSWERED)


def instructions_to_accept(user) -> QuerySet:
    """Answered instructions `user` wrote, waiting for them to accept (close) or return the answer (their to-do;
    an administrator decides on others' too, but is not asked to)."""
    return instructions_to_decide(user).filter(written_by=user)


# --- The public portal, the open data and the pushing systems (issue 21) ------------------------------------------
# Nothing is public until an administrator opens it (a Publication): an organization, with the pledges led anywhere
# in its subtree, or one pledge. What of a public pledge may be shown is commitments.public's to say.


def _publications() -> tuple[list[str], list[int]]:
    """The opened organizations' tree paths and the pledges opened one by one (one query)."""
    from .models import Publication

    paths, pledge_ids = [], []
    for path, pledge_id in Publication.objects.values_list("organization__tree_path", "pledge_id"):
        if path:
            paths.append(path)
        if pledge_id:
            pledge_ids.append(pledge_id)
    return paths, pledge_ids


def public_pledges(queryset: QuerySet | None = None) -> QuerySet:
    """The pledges anyone may see without logging in."""
    queryset = Pledge.objects.all() if queryset is None else queryset
    paths_opened, pledge_ids = _publications()
    if not paths_opened and not pledge_ids:
        return queryset.none()
    return queryset.filter(_in_paths("lead_organization__", paths_opened) | Q(pk__in=pledge_ids))


def is_public(pledge: Pledge) -> bool:
    return public_pledges().filter(pk=pledge.pk).exists()


def public_organizations() -> QuerySet:
    """The organizations with a public page: those in an opened subtree, and the leads of pledges opened one by one."""
    paths_opened, pledge_ids = _publications()
    leads = Pledge.objects.filter(pk__in=pledge_ids).values("lead_organization_id")
    return Organization.objects.filter(_in_paths("", paths_opened) | Q(pk__in=leads))


def pledges_to_push(token, queryset: QuerySet | None = None) -> QuerySet:
    """The pledges another system may push progress on with `token`: as for a reporter of the token's organization,
    those led or co-owned in its subtree. A revoked or expired token reaches none."""
    queryset = Pledge.objects.all() if queryset is None else queryset
    if token is None or not token.is_usable():
        return queryset.none()
    subtree = [token.organization.tree_path]
    co_owned = Pledge.co_owners.through.objects.filter(_in_paths("organization__", subtree)).values("pledge_id")
    return queryset.filter(_in_paths("lead_organization__", subtree) | Q(pk__in=co_owned))


# --- Bulletins (情况通报, issue 20) ------------------------------------------------------------------------------
# A bulletin covers an organization's subtree: its managers and administrators (a membership in it or above it) read
# it and make one on demand, as does an administrator of the whole tracker.

BULLETIN_ROLES = {Role.MANAGER, Role.ADMINISTRATOR}


def scopes_for_bulletins(user) -> QuerySet:
    """The organizations whose bulletins `user` reads and makes."""
    if is_administrator(user):
        return Organization.objects.all()
    return Organization.objects.filter(_in_paths("", paths(user, BULLETIN_ROLES)))


def bulletins_for(user) -> QuerySet:
    from .models import Bulletin

    if is_administrator(user):
        return Bulletin.objects.all()
    return Bulletin.objects.filter(_in_paths("scope__", paths(user, BULLETIN_ROLES)))


def can_open_bulletin(user, bulletin) -> bool:
    return bulletins_for(user).filter(pk=bulletin.pk).exists()


def notifications_for(user) -> QuerySet:
    """A user's own in-app notifications (issue 19): nobody else's, whatever their role."""
    from .models import Notification

    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(channel=Notification.Via.IN_APP, user=user)
