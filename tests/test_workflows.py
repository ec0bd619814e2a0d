"""The GitHub Actions workflows pass actionlint and zizmor (offline audits)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed (requirements-dev.txt)"
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def test_the_workflows_exist():
    assert {p.name for p in WORKFLOWS.glob("*.yml")} == {"ci.yml", "preview.yml"}


@pytest.mark.parametrize("workflow", ["ci.yml", "preview.yml"])
def test_actionlint(workflow):
    result = run(tool("actionlint"), "-no-color", str(WORKFLOWS / workflow))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor():
    result = run(tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_the_linters_catch_a_bad_workflow(tmp_path):
    """Negative control: template injection, unpinned action, broad token, a typo in `on`."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on:\n  pull_request_target:\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: echo ${{ matrix.nope }}\n"
    )
    assert run(tool("actionlint"), "-no-color", str(bad)).returncode != 0
    assert run(tool("zizmor"), "--offline", "--no-progress", str(bad.parent)).returncode != 0


def test_no_long_lived_aws_keys():
    text = "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert "role-to-assume: ${{ vars.AWS_ROLE_ARN }}" in text
    assert "id-token: write" in text
    assert "environment: production" in text
