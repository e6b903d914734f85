"""The layer contracts (pyproject.toml, `[tool.importlinter]`) hold, and can fail: a copy of the
package with one forbidden import added breaks the build."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "connect_api"
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on ``project`` (its pyproject.toml, its src/ first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_layer_contracts_hold() -> None:
    found = _lint(ROOT)
    assert found.returncode == 0, found.stdout + found.stderr
    assert "0 broken" in found.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("kit/clock.py", "from connect_api.blocks import repository", "the kit imports no domain"),
        ("kit/errors.py", "from connect_api.core import policy", "the kit imports no domain"),
        ("core/policy.py", "import fastapi", "the core imports no web framework"),
        ("core/models.py", "from connect_api.members import service", "entry points > domain"),
        ("members/service.py", "from connect_api import app", "entry points > domain"),
        ("events/repository.py", "from connect_api.members import service", "no circles"),
        ("kit/errors.py", "from connect_api.kit import auth", "no circles"),
        ("app.py", "import connect_api_seeding.generator", "the service never imports the seeding"),
    ],
)
def test_a_forbidden_import_breaks_the_build(
    tmp_path: Path, module: str, forbidden: str, contract: str
) -> None:
    project = tmp_path / "project"
    for package in ("connect_api", "connect_api_seeding"):
        shutil.copytree(
            ROOT / "src" / package,
            project / "src" / package,
            ignore=shutil.ignore_patterns("*.pyc", "__pycache__"),
        )
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    target = project / "src" / "connect_api" / module
    target.write_text(target.read_text() + f"\n{forbidden}  # noqa\n")
    found = _lint(project)
    assert found.returncode != 0, found.stdout
    broken = [line for line in found.stdout.splitlines() if " BROKEN" in line]
    assert any(line.startswith(contract) for line in broken), found.stdout


def test_the_core_holds_no_database_session() -> None:
    """What a forbidden contract cannot say of part of an external package: the core's files
    import no async session or engine (the repositories hold those)."""
    for path in (PACKAGE / "core").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("sqlalchemy.ext.asyncio"), path
                names = {a.name for a in node.names}
                assert not names & {"Session", "AsyncSession", "sessionmaker"}, path


def test_seed_without_its_extra_says_how_to_install_it(tmp_path: Path) -> None:
    """The service runs without the seed extra (tqdm); `connect-api seed` then says which
    extra it needs."""
    code = (
        "import sys; sys.modules['tqdm'] = None\n"
        "from connect_api.cli import main\n"
        "sys.exit(main(['seed', '--members', '5']))\n"
    )
    env = {**os.environ, "CONNECT_API_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    env.pop("CONNECT_API_DATABASE_URL", None)
    found = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert found.returncode == 2, found.stderr
    assert "pip install 'connect-api[seed]'" in found.stderr
    assert "Traceback" not in found.stderr
    # And the service itself imports without it.
    code = "import sys; sys.modules['tqdm'] = None\nimport connect_api.app\n"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
