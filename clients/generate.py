"""Regenerate the typed clients in clients/ from openapi/openapi.json (`make clients`).

- clients/python: the package connect_api_client, and the project's pyproject.toml and
  README.md, by openapi-python-client (pinned in the `dev` extras) with
  clients/python/config.yaml and the templates in clients/python/templates;
- clients/typescript: src/schema.d.ts by openapi-typescript (pinned in clients/typescript's
  package-lock.json; `npm ci` first when node_modules is missing), and the version in
  package.json and package-lock.json.

Both packages' versions are the document's info.version (the API's version), written here so
that they cannot drift. tests/test_clients.py calls the same functions into a temporary
directory and compares, and checks the versions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "openapi" / "openapi.json"
PYTHON_DIR = ROOT / "clients" / "python"
PYTHON_PACKAGE = PYTHON_DIR / "connect_api_client"
# What `make clients` writes in clients/python; config.yaml and templates/ are its inputs.
PYTHON_GENERATED = (PYTHON_PACKAGE.name, "pyproject.toml", "README.md")
TYPESCRIPT_DIR = ROOT / "clients" / "typescript"
TYPESCRIPT_SCHEMA = TYPESCRIPT_DIR / "src" / "schema.d.ts"


def document_version() -> str:
    """The API's version: the document's info.version (connect_api.__version__)."""
    return str(json.loads(DOCUMENT.read_text())["info"]["version"])


def python_client(out: Path = PYTHON_DIR) -> None:
    """Write the Python project's generated files (``PYTHON_GENERATED``) into ``out``,
    replacing those there."""
    bin_dir = Path(sys.executable).parent
    # The generator's formatting hooks call `ruff`: the one installed beside this Python.
    env = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory(prefix="connect-api-client-") as tmp:
        fresh = Path(tmp) / "project"
        subprocess.run(
            [
                str(bin_dir / "openapi-python-client"),
                "generate",
                "--path",
                str(DOCUMENT),
                "--config",
                str(PYTHON_DIR / "config.yaml"),
                "--custom-template-path",
                str(PYTHON_DIR / "templates"),
                # A project, not a bare package: pyproject.toml and README.md (from the templates
                # in clients/python/templates) and the package's py.typed.
                "--meta",
                "uv",
                "--output-path",
                str(fresh),
                "--fail-on-warning",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        out.mkdir(parents=True, exist_ok=True)
        for name in PYTHON_GENERATED:
            if (fresh / name).is_dir():
                shutil.rmtree(out / name, ignore_errors=True)
                shutil.copytree(fresh / name, out / name)
            else:
                shutil.copyfile(fresh / name, out / name)


def npm_ci() -> None:
    """Install clients/typescript's pinned packages when node_modules is missing."""
    if not (TYPESCRIPT_DIR / "node_modules").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=TYPESCRIPT_DIR,
            check=True,
        )


def typescript_schema(out: Path = TYPESCRIPT_SCHEMA) -> None:
    """Write the TypeScript types of the document to ``out``."""
    npm_ci()
    subprocess.run(
        ["npx", "--no-install", "openapi-typescript", str(DOCUMENT), "--output", str(out)],
        cwd=TYPESCRIPT_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def typescript_version(root: Path = TYPESCRIPT_DIR) -> None:
    """Set the version in ``root``'s package.json and package-lock.json to the API's."""
    version = document_version()
    for name in ("package.json", "package-lock.json"):
        path = root / name
        package = json.loads(path.read_text())
        package["version"] = version
        if name == "package-lock.json":
            package["packages"][""]["version"] = version
        text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"  # as npm writes it
        if path.read_text() != text:
            path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["python", "typescript"], help="one client only")
    args = parser.parse_args()
    if args.only in (None, "python"):
        python_client()
        print(f"==> {PYTHON_DIR.relative_to(ROOT)} {document_version()}")
    if args.only in (None, "typescript"):
        typescript_schema()
        typescript_version()
        print(f"==> {TYPESCRIPT_DIR.relative_to(ROOT)} {document_version()}")


if __name__ == "__main__":
    main()
