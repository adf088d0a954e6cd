"""What the kintai binary accepts, read from its sources."""

from __future__ import annotations

import re

from checks.common import ROOT



def known_settings() -> set[str]:
    """`section.key` names the binary accepts, read from its configuration structs."""
    sources = [
        ROOT / "src/config.rs",
        ROOT / "src/config/sections.rs",
        ROOT / "services/matcher/src/config.rs",
        ROOT / "services/syncer/src/config.rs",
        ROOT / "shared/core/src/server.rs",
        ROOT / "shared/core/src/telemetry/mod.rs",
    ]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    structs: dict[str, list[str]] = {}
    for match in re.finditer(r"pub struct (\w+)\s*\{(.*?)\n\}", text, re.S):
        structs[match.group(1)] = re.findall(r"^\s*pub (\w+):", match.group(2), re.M)
    if "Config" not in structs:
        raise SystemExit("check.py: cannot find `pub struct Config` in src/config.rs")
    names: set[str] = set()
    body = re.search(r"pub struct Config\s*\{(.*?)\n\}", text, re.S).group(1)  # type: ignore[union-attr]
    for section, type_name in re.findall(r"^\s*pub (\w+):\s*(\w+),", body, re.M):
        fields = structs.get(type_name)
        if not fields:
            raise SystemExit(f"check.py: cannot find the fields of {type_name} ({section})")
        names.update(f"{section}.{field}" for field in fields)
    return names


def default_drain_timeout() -> int:
    text = (ROOT / "shared/core/src/server.rs").read_text(encoding="utf-8")
    match = re.search(r"drain_timeout_secs:\s*(\d+)\s*,", text)
    if not match:
        raise SystemExit("check.py: cannot find the default drain_timeout_secs in server.rs")
    return int(match.group(1))


def setting_name(env_name: str) -> str:
    return ".".join(env_name[len("KINTAI__") :].lower().split("__"))
