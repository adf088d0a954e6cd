"""The Secrets the overlays expect but do not contain, made the way the README's deploy section
makes them (the image's own `kintai new-caller` and `kintai new-token-key`), with exactly the keys
of the templates in k8s/secrets/ — a manifest that asks for another key fails the smoke test."""

from __future__ import annotations

import secrets as random
from pathlib import Path

import yaml

from smoke import podman
from smoke.manifests import ManifestError

CALLERS = ["cyzen-platform", "matcher", "syncer", "trigger"]


def template_keys(directory: Path) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for path in sorted(directory.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc.get("kind") == "Secret":
                keys[doc["metadata"]["name"]] = set(doc.get("stringData") or {}) | set(doc.get("data") or {})
    return keys


def new_caller(image: str, name: str) -> tuple[str, str]:
    """(secret, `NAME:SHA256` entry), as `kintai new-caller` prints them on lines 2 and 4."""
    lines = podman.output(["run", "--rm", image, "new-caller", name]).splitlines()
    if len(lines) < 4 or not lines[3].startswith(f"{name}:"):
        raise ManifestError(f"kintai new-caller {name} printed an unexpected answer ({len(lines)} lines)")
    return lines[1].strip(), lines[3].strip()


def generate(image: str, templates: Path, needed: set[str], database_host: str,
             tls: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Every Secret the workloads use, holding every key its template lists; `tls` holds the
    Secrets the overlay's Certificates make (certs.issue)."""
    callers = {name: new_caller(image, name) for name in CALLERS}
    password = random.token_urlsafe(24)
    values = {
        "kintai-caller-credentials": {name: secret for name, (secret, _) in callers.items()},
        "kintai-callers": {"callers": "\n".join(entry for _, entry in callers.values()) + "\n"},
        "kintai-token-keys": {"token-keys": podman.output(["run", "--rm", image, "new-token-key", "smoke"]).strip() + "\n"},
        "kintai-postgres": {"password": password},
        # What the README tells staging to store: the in-cluster PostgreSQL by its Service name.
        "kintai-database": {"url": f"postgres://kintai:{password}@{database_host}:5432/kintai"},
        **tls,
    }
    expected = template_keys(templates)
    missing = needed - set(expected)
    if missing:
        raise ManifestError(f"the workloads use Secrets without a template in k8s/secrets/: {sorted(missing)}")
    for name in needed:
        if name not in values:
            raise ManifestError(f"the smoke test does not know how to fill Secret {name} (k8s/local/smoke/secrets.py)")
        if set(values[name]) != expected[name]:
            raise ManifestError(f"Secret {name}: the template has keys {sorted(expected[name])}, "
                                f"the smoke test fills {sorted(values[name])}")
    return {name: values[name] for name in needed}


def secret_strings(generated: dict[str, dict[str, str]]) -> list[str]:
    """What must never appear in a log: the caller secrets, the token key's bytes, the database
    password and the TLS private keys (the callers' SHA-256 entries are not secret)."""
    found = list(generated.get("kintai-caller-credentials", {}).values())
    for line in generated.get("kintai-token-keys", {}).get("token-keys", "").splitlines():
        if ":" in line:
            found.append(line.split(":", 1)[1].strip())
    found += [value for value in [generated.get("kintai-postgres", {}).get("password")] if value]
    for data in generated.values():
        key = data.get("tls.key", "")
        found += [line for line in key.splitlines() if line and not line.startswith("-----")][:1]
    return found
