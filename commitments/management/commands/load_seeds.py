"""Load the demo data in seeds/ (organizations, documents, the labelled pledges and some progress).

Run by `make run`; safe to run again: every row is matched on a natural key, so a second run adds
nothing and leaves the same counts.
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
            for item in data["pledges"]:
                self.load_pledge(item, orgs, categories, documents)
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

    def load_pledge(self, item, orgs, categories, documents):
        document = documents[item["document"]]
        owner = orgs.get(item["owner"]) or Organization.objects.filter(
            Q(name=item["owner"]) | Q(short_name=item["owner"])
        ).first()
        if owner is None:
            raise CommandError(f"Pledge {item['metric']!r}: unknown owner {item['owner']!r}")
        pledge, created = Pledge.objects.get_or_create(
            source_document=document,
            source_sentence=item["sentence"],
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
                "notes": item.get("label_note", ""),
            },
        )
        if created:
            pledge.full_clean()
            pledge.co_owners.set([orgs[name] for name in item.get("co_owners", [])])
        previous = None
        for update in item.get("updates", []):
            previous = self.load_update(pledge, update, previous)
        actions.do_recompute_status(pledge, trigger="load_seeds")

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


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _date(value):
    return None if not value else date.fromisoformat(value)
