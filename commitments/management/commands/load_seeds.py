"""Load the demo data in seeds/ (organizations, documents, the labelled pledges, their parts and some progress).

Run by `make run`; safe to run again: every row is matched on a natural key, so a second run adds
nothing and leaves the same counts.

A pledge that others refer to has a `key`; a part names it as its `parent`, and takes the parent's terms (metric, kind,
unit, period, cadence…) unless it states its own. Parents are loaded before their parts, and each part is re-assessed
after its updates, which rolls its figures up to every pledge above it.
"""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from commitments import actions
from commitments.models import Category, Organization, Pledge, ProgressUpdate, SourceDocument, StatusChange
from commitments.status import Composition

DEFAULT_SEED_FILE = settings.BASE_DIR / "seeds" / "demo.json"


class Command(BaseCommand):
    help = "Load the demo organizations, documents, pledges and progress updates from seeds/ (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_SEED_FILE), help="Seed file (default: seeds/demo.json).")

    def handle(self, *args, file, **options):
        path = Path(file)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read seed file {path}: {exc}")
        with transaction.atomic():
            orgs = self.load_organizations(data["organizations"])
            categories = self.load_categories(data["categories"])
            documents = self.load_documents(data["documents"], path.parent)
            loaded = {}
            for item in parents_first(data["pledges"]):
                pledge = self.load_pledge(item, orgs, categories, documents, loaded)
                if "key" in item:
                    loaded[item["key"]] = pledge
        counts = {
            "organizations": Organization.objects.count(),
            "documents": SourceDocument.objects.count(),
            "pledges": Pledge.objects.count(),
            "updates": ProgressUpdate.objects.count(),
            "status changes": StatusChange.objects.count(),
        }
        self.stdout.write("Seeds loaded: " + ", ".join(f"{n} {name}" for name, n in counts.items()))

    def load_organizations(self, items):
        orgs = {}
        for item in items:  # parents come before children in the file
            org, _ = Organization.objects.update_or_create(
                name=item["name"],
                defaults={
                    "short_name": item.get("short_name", ""),
                    "level": item["level"],
                    "parent": orgs.get(item.get("parent")),
                    "contact_emails": item.get("contact_emails", ""),
                },
            )
            orgs[org.name] = org
            if org.short_name:
                orgs.setdefault(org.short_name, org)
        return orgs

    def load_categories(self, items):
        return {
            item["name"]: Category.objects.update_or_create(name=item["name"], defaults={"order": item.get("order", 0)})[0]
            for item in items
        }

    def load_documents(self, items, base_dir):
        documents = {}
        for item in items:
            text = (base_dir / item["file"]).read_text(encoding="utf-8")
            doc, _ = SourceDocument.objects.update_or_create(
                title=item["title"],
                issued_on=date.fromisoformat(item["issued_on"]),
                defaults={"issuing_body": item.get("issuing_body", ""), "full_text": text, "url": item.get("url", "")},
            )
            documents[item["key"]] = doc
        return documents

    def load_pledge(self, item, orgs, categories, documents, loaded):
        parent = loaded[item["parent"]] if item.get("parent") else None
        owner = orgs.get(item["owner"]) or Organization.objects.filter(
            Q(name=item["owner"]) | Q(short_name=item["owner"])
        ).first()
        if owner is None:
            raise CommandError(f"Pledge {item['metric']!r}: unknown owner {item['owner']!r}")
        if item.get("document"):  # a labelled pledge: its source sentence identifies it
            natural_key = {"source_document": documents[item["document"]], "source_sentence": item["sentence"]}
        else:  # invented for the demo (a part, a total no document states): its place, owner and period do
            natural_key = {
                "source_document": None, "parent": parent, "lead_organization": owner,
                "start_date": _date(item["start_date"]), "deadline": _date(item["deadline"]),
            }
        breakdown = {
            "parent_id": parent.pk if parent else None,
            "composition": item.get("composition", Composition.OWN),
            "not_applicable": item.get("not_applicable", False),
            "not_applicable_reason": item.get("not_applicable_reason", ""),
        }
        pledge, created = Pledge.objects.get_or_create(
            **natural_key,
            metric=item["metric"],
            defaults={
                "kind": item["kind"],
                "comparator": item["comparator"],
                "target": _decimal(item.get("value")) if item["comparator"] != "range" else None,
                "low": _decimal(item.get("low")),
                "high": _decimal(item.get("high")),
                "unit": item.get("unit", ""),
                "cumulative": item.get("cumulative", False),
                "baseline": _decimal(item.get("baseline")),
                "baseline_date": _date(item.get("baseline_date")),
                "start_date": _date(item["start_date"]),
                "deadline": _date(item["deadline"]),
                "cadence": item["cadence"],
                "lead_organization": owner,
                "responsible_person": item.get("responsible_person", ""),
                "category": categories.get(item.get("category")),
                "notes": "\n".join(filter(None, [item.get("label_note", ""), item.get("note", "")])),
                **breakdown,
            },
        )
        if created:
            pledge.full_clean()
            pledge.co_owners.set([orgs[name] for name in item.get("co_owners", [])])
        elif any(getattr(pledge, field) != value for field, value in breakdown.items()):
            # Demo data loaded before pledges had parts: give the pledge its place in the breakdown.
            old_parent_id = pledge.parent_id
            for field, value in breakdown.items():
                setattr(pledge, field, value)
            pledge.full_clean()
            pledge.save()
            if old_parent_id and old_parent_id != pledge.parent_id:  # moved away: the old parent loses a part
                actions.do_recompute_status(Pledge.objects.get(pk=old_parent_id), trigger="load_seeds")
        previous = None
        for update in item.get("updates", []):
            previous = self.load_update(pledge, update, previous)
        actions.do_recompute_status(pledge, trigger="load_seeds")  # and, for a part, every pledge above it
        return pledge

    def load_update(self, pledge, item, previous):
        value = _decimal(item.get("value"))
        as_of = _date(item["as_of"])
        existing = ProgressUpdate.objects.filter(pledge=pledge, as_of=as_of, value=value, note=item.get("note", "")).first()
        if existing:
            return existing
        update = ProgressUpdate(
            pledge=pledge,
            value=value,
            done=item.get("done"),
            as_of=as_of,
            note=item.get("note", ""),
            supersedes=previous if item.get("corrects_previous") else None,
        )
        update.full_clean()
        update.save()
        return update


# What a part takes from its parent when it does not state it (a year of a multi-year total keeps its owner).
INHERITED = [
    "metric", "owner", "kind", "comparator", "unit", "cumulative", "start_date", "deadline", "cadence", "category",
]


def parents_first(items):
    """The seed's pledges, each parent before its parts, a part completed with the terms it inherits."""
    by_key = {item["key"]: item for item in items if "key" in item}
    ordered, completed = [], {}  # id of an item in the file → the item as loaded

    def place(item, above=()):
        if id(item) not in completed:
            complete = item
            if item.get("parent"):
                key = item["parent"]
                if key not in by_key or key in above:
                    raise CommandError(f"Pledge {item.get('metric', '')!r}: no pledge {key!r} above it")
                parent = place(by_key[key], (*above, key))
                complete = {field: parent[field] for field in INHERITED if field in parent} | item
            completed[id(item)] = complete
            ordered.append(complete)
        return completed[id(item)]

    for item in items:
        place(item)
    return ordered


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _date(value):
    return None if not value else date.fromisoformat(value)
