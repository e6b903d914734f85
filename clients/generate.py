"""Regenerate the typed clients in clients/ from openapi/openapi.json (`make clients`).

- clients/python/connect_api_client: openapi-python-client (pinned in the `dev` extras), with
  clients/python/config.yaml and the template in clients/python/templates;
- clients/typescript/src/schema.d.ts: openapi-typescript (pinned in clients/typescript's
  package-lock.json; `npm ci` first when node_modules is missing).

tests/test_clients.py calls the same functions into a temporary directory and compares.
"""

from __future__ import annotations

import argparse
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
TYPESCRIPT_DIR = ROOT / "clients" / "typescript"
TYPESCRIPT_SCHEMA = TYPESCRIPT_DIR / "src" / "schema.d.ts"


def python_client(out: Path = PYTHON_PACKAGE) -> None:
    """Write the Python package to ``out`` (replacing what is there)."""
    bin_dir = Path(sys.executable).parent
    # The generator's formatting hooks call `ruff`: the one installed beside this Python.
    env = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory(prefix="connect-api-client-") as tmp:
        fresh = Path(tmp) / out.name
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
                "--meta",
                "none",
                "--output-path",
                str(fresh),
                "--fail-on-warning",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(fresh, out)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["python", "typescript"], help="one client only")
    args = parser.parse_args()
    if args.only in (None, "python"):
        python_client()
        print(f"==> {PYTHON_PACKAGE.relative_to(ROOT)}")
    if args.only in (None, "typescript"):
        typescript_schema()
        print(f"==> {TYPESCRIPT_SCHEMA.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
