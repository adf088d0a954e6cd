"""Secrets: placeholders only."""

from __future__ import annotations

import base64
import math
import re
from collections import Counter
from typing import Iterable

from checks.common import PLACEHOLDER, Doc



def looks_real(value: str) -> str | None:
    """Why a Secret value looks like a real secret, or None when it is only a placeholder."""
    if PLACEHOLDER not in value:
        return f"no {PLACEHOLDER} placeholder"
    rest = value.replace(PLACEHOLDER, " ")
    for token in re.findall(r"[A-Za-z0-9+/=_\-]{16,}", rest):
        if re.fullmatch(r"_?[A-Z0-9]+(_[A-Z0-9]+)+_?", token):
            continue  # a placeholder's description, e.g. _BASE64_32_BYTE_KEY
        counts = Counter(token)
        entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
        if entropy > 3.0:
            return f"high-entropy string {token[:6]}..."
    if re.search(r"://[^/@\s]*:[^/@\s]+@", rest) and not re.search(r"://[^@]*" + PLACEHOLDER, value):
        return "a URL with a password"
    return None


def secret_values(doc: Doc) -> Iterable[tuple[str, str]]:
    for key, value in (doc.get("stringData") or {}).items():
        yield key, str(value)
    for key, value in (doc.get("data") or {}).items():
        try:
            yield key, base64.b64decode(str(value)).decode("utf-8", "replace")
        except ValueError:
            yield key, str(value)
