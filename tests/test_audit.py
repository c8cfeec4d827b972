"""The dependency audit CI step (`make audit`, `.ci/audit.py`): it fails on a known vulnerability in a pinned
package and never reports "clean" when the advisory service checked nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-11-23"


def audited(name, version, *vulns):
    return {"name": name, "version": version, "vulns": list(vulns)}


def vuln(vuln_id, fix="", aliases=()):
    return {"id": vuln_id, "fix_versions": [fix] if fix else [], "aliases": list(aliases), "description": "…"}


def not_audited(name, version):
    return {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} ({version})"}


@pytest.fixture
def judge(tmp_path):
    def run(*dependencies, ignores="", required=False):
        report = tmp_path / "report.json"
        report.write_text(json.dumps({"dependencies": list(dependencies), "fixes": []}), encoding="utf-8")
        ignore_file = tmp_path / "audit-ignore"
        ignore_file.write_text(ignores, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "AUDIT_REQUIRED"} | ({"AUDIT_REQUIRED": "1"} if required else {})
        result = subprocess.run(
            [sys.executable, ".ci/audit.py", "--report", str(report), "--ignore-file", str(ignore_file), "--today", TODAY],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )
        return result.returncode, result.stdout + result.stderr
    return run


def test_a_pinned_package_with_a_published_vulnerability_fails_the_step_naming_it_and_the_fix(judge):
    code, output = judge(audited("django", "5.2.1", vuln("PYSEC-2025-1", fix="5.2.2")), audited("celery", "5.7.0"))
    assert code == 1
    assert "VULNERABLE: django 5.2.1 PYSEC-2025-1; fixed in 5.2.2" in output
    assert "celery" not in output


def test_clean_packages_pass_and_say_how_many_were_checked(judge):
    code, output = judge(audited("django", "5.2.19"), audited("celery", "5.7.0"))
    assert code == 0
    assert "audited 2 packages: no known vulnerabilities" in output


def test_when_the_advisory_service_answers_for_nothing_the_step_says_nothing_was_checked(judge):
    # pip-audit itself prints "No known vulnerabilities found" and exits 0 in this case.
    code, output = judge(not_audited("django", "5.2.19"), not_audited("celery", "5.7.0"))
    assert code == 0
    assert "NOT AUDITED" in output and "none of the 2 packages" in output
    assert "no known vulnerabilities" not in output


def test_where_an_audit_is_required_checking_nothing_fails(judge):
    code, output = judge(not_audited("django", "5.2.19"), required=True)
    assert code == 3
    assert "NOT AUDITED" in output


def test_a_package_the_service_does_not_know_is_listed_but_the_rest_still_count(judge):
    code, output = judge(audited("django", "5.2.19"), not_audited("in-house-tool", "1.0"))
    assert code == 0
    assert "not audited: in-house-tool" in output
    assert "audited 1 packages" in output


def test_an_accepted_risk_with_a_reason_is_shown_but_does_not_fail_until_its_date(judge):
    report = audited("django", "5.2.1", vuln("GHSA-aaaa-bbbb-cccc", aliases=["CVE-2026-1"]))
    accepted = "CVE-2026-1  until=2026-12-31  only affects Oracle backends; we run PostgreSQL\n"
    code, output = judge(report, ignores=accepted)
    assert code == 0
    assert "accepted until 2026-12-31: django 5.2.1 GHSA-aaaa-bbbb-cccc — only affects Oracle backends" in output

    expired = "CVE-2026-1  until=2026-11-01  only affects Oracle backends\n"
    code, output = judge(report, ignores=expired)
    assert code == 1
    assert "VULNERABLE: django 5.2.1 GHSA-aaaa-bbbb-cccc; no fixed release yet (its exception expired on 2026-11-01)" in output


def test_a_malformed_exception_line_is_refused_with_its_line_number(judge):
    code, output = judge(audited("django", "5.2.19"), ignores="# header\nCVE-2026-1 2026-12-31 no until\n")
    assert code != 0
    assert "line 2" in output and "until=YYYY-MM-DD" in output


def test_ci_runs_the_audit():
    assert "make audit" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
