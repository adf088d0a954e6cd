"""Kubernetes resource quantities ("512Mi", "500m", "1")."""

from __future__ import annotations

import re

from smoke.manifests import ManifestError

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def parse_bytes(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?", text)
    if not match:
        raise ManifestError(f"not a memory quantity the smoke test reads: {text!r}")
    number, suffix = match.groups()
    return int(float(number) * (_BINARY.get(suffix or "") or _DECIMAL[suffix or ""]))


def parse_cpu(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(m)?", text)
    if not match:
        raise ManifestError(f"not a CPU quantity the smoke test reads: {text!r}")
    number, milli = match.groups()
    return float(number) / (1000 if milli else 1)
