#!/usr/bin/env python3
"""Audit the pinned runtime requirements for published vulnerabilities, and judge the result.

    python .ci/audit.py --pip-audit PATH     resolve requirements.txt, run pip-audit, judge its report
    python .ci/audit.py --report FILE        judge a pip-audit JSON report already written

Exit codes: 0 clean (or not audited, see below), 1 a known vulnerability in a pinned package, 2 the audit could
not run, 3 nothing could be audited and AUDIT_REQUIRED=1.

Why a judge at all: when pip-audit cannot reach its advisory service it marks every package "could not be
audited" and still prints "No known vulnerabilities found" with exit code 0. A CI step that trusted that would be
green while checking nothing, so this script counts what was really audited and says so.

Accepted risks go in .ci/audit-ignore, one per line: `ID  until=YYYY-MM-DD  why`. An entry past its date no longer
hides anything, so every exception is looked at again.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / ".ci" / "audit-ignore"
SERVICES = ("pypi", "osv")  # tried in this order until one of them answers for at least one package

CLEAN, VULNERABLE, BROKEN, NOT_AUDITED = 0, 1, 2, 3


@dataclass(frozen=True)
class AcceptedRisk:
    vuln_id: str
    until: datetime.date
    why: str


def read_ignores(path: Path) -> list[AcceptedRisk]:
    entries = []
    if not path.exists():
        return entries
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or not parts[1].startswith("until="):
            raise SystemExit(f"{path.name} line {number}: expected `ID  until=YYYY-MM-DD  why`, got {line!r}")
        try:
            until = datetime.date.fromisoformat(parts[1].removeprefix("until="))
        except ValueError:
            raise SystemExit(f"{path.name} line {number}: {parts[1]!r} is not a date (YYYY-MM-DD)") from None
        entries.append(AcceptedRisk(parts[0], until, parts[2]))
    return entries


def judge(report: dict, ignores: list[AcceptedRisk], today: datetime.date, required: bool) -> tuple[int, list[str]]:
    """The verdict on a pip-audit JSON report, and the lines that explain it."""
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    live = {e.vuln_id: e for e in ignores if e.until >= today}
    expired = {e.vuln_id: e for e in ignores if e.until < today}

    lines, found, accepted = [], [], []
    for dependency in audited:
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            row = (dependency["name"], dependency["version"], vuln["id"], ", ".join(vuln.get("fix_versions", [])))
            entry = next((live[i] for i in sorted(ids) if i in live), None)
            if entry:
                accepted.append((row, entry))
            else:
                found.append((row, next((expired[i] for i in sorted(ids) if i in expired), None)))

    if not audited:
        reason = skipped[0]["skip_reason"] if skipped else "the report lists no package"
        lines.append(f"NOT AUDITED: the advisory service answered for none of the {len(skipped)} packages ({reason}).")
        lines.append("Nothing was checked. Run this where the PyPI JSON API or OSV is reachable "
                     "(AUDIT_REQUIRED=1 makes this a failure).")
        return (NOT_AUDITED if required else CLEAN), lines

    for (name, version, vuln_id, fixes), entry in accepted:
        lines.append(f"accepted until {entry.until}: {name} {version} {vuln_id} — {entry.why}")
    for (name, version, vuln_id, fixes), lapsed in found:
        hint = f"; fixed in {fixes}" if fixes else "; no fixed release yet"
        late = f" (its exception expired on {lapsed.until})" if lapsed else ""
        lines.append(f"VULNERABLE: {name} {version} {vuln_id}{hint}{late}")
    for dependency in skipped:
        lines.append(f"not audited: {dependency['name']} — {dependency['skip_reason']}")
    if found:
        lines.append(f"{len(found)} known vulnerabilit{'y' if len(found) == 1 else 'ies'} in the pinned requirements: "
                     "upgrade the pin in requirements.txt, or record an exception with a reason in .ci/audit-ignore.")
        return VULNERABLE, lines
    lines.append(f"audited {len(audited)} packages: no known vulnerabilities"
                 + (f" ({len(accepted)} accepted)" if accepted else "") + ".")
    return CLEAN, lines


def resolved_requirements(python: str) -> list[str]:
    """Every package requirements.txt installs, transitive ones included, as name==version (pip resolves, installs nothing)."""
    result = subprocess.run(
        [python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", "-",
         "-r", str(ROOT / "requirements.txt")],
        capture_output=True, text=True, check=True,
    )
    report = json.loads(result.stdout)
    return sorted(f"{item['metadata']['name']}=={item['metadata']['version']}" for item in report["install"])


def run_pip_audit(pip_audit: str, pins: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        requirements, output = Path(folder, "pinned.txt"), Path(folder, "report.json")
        requirements.write_text("\n".join(pins) + "\n", encoding="utf-8")
        report = {}
        for service in SERVICES:
            run = subprocess.run(
                [pip_audit, "--requirement", str(requirements), "--no-deps", "--disable-pip", "--vulnerability-service",
                 service, "--format", "json", "--output", str(output), "--progress-spinner", "off"],
                capture_output=True, text=True,
            )
            if not output.exists():  # the service could not be reached at all: pip-audit stopped with a traceback
                print(f"pip-audit ({service}): {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else 'no report'}")
                continue
            report = json.loads(output.read_text(encoding="utf-8"))
            output.unlink()
            if any("skip_reason" not in d for d in report.get("dependencies", [])):
                print(f"pip-audit: advisories from {service}")
                return report
            print(f"pip-audit ({service}): no package could be audited")
        return report or {"dependencies": [{"name": p.split("==")[0], "skip_reason": "no advisory service answered"}
                                           for p in pins]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pip-audit", help="path of the pip-audit program (kept in its own virtualenv)")
    source.add_argument("--report", type=Path, help="judge this pip-audit JSON report instead of running pip-audit")
    parser.add_argument("--ignore-file", type=Path, default=IGNORE_FILE, help="accepted risks (default .ci/audit-ignore)")
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=datetime.date.today())
    args = parser.parse_args()

    if args.report:
        report = json.loads(args.report.read_text(encoding="utf-8"))
    else:
        try:
            pins = resolved_requirements(sys.executable)
        except (subprocess.CalledProcessError, json.JSONDecodeError, KeyError) as error:
            print(f"could not resolve requirements.txt: {getattr(error, 'stderr', '') or error}")
            return BROKEN
        print(f"auditing {len(pins)} packages resolved from requirements.txt")
        report = run_pip_audit(args.pip_audit, pins)

    verdict, lines = judge(report, read_ignores(args.ignore_file), args.today, os.environ.get("AUDIT_REQUIRED") == "1")
    print("\n".join(lines))
    return verdict


if __name__ == "__main__":
    sys.exit(main())
