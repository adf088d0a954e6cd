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
        ROOT / "shared/core/src/tls/config.rs",
    ]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    # struct name -> [(field, type's last path segment)]
    structs: dict[str, list[tuple[str, str]]] = {}
    for match in re.finditer(r"pub struct (\w+)\s*\{(.*?)\n\}", text, re.S):
        fields = re.findall(r"^\s*pub (\w+):\s*([\w:<>]+)", match.group(2), re.M)
        structs[match.group(1)] = [(name, kind.split("::")[-1]) for name, kind in fields]
    if "Config" not in structs:
        raise SystemExit("check.py: cannot find `pub struct Config` in src/config.rs")
    names: set[str] = set()

    def add(prefix: str, type_name: str) -> None:
        fields = structs.get(type_name)
        if not fields:
            raise SystemExit(f"check.py: cannot find the fields of {type_name} ({prefix})")
        for field, kind in fields:
            if kind in structs:  # a nested section, e.g. server.tls
                add(f"{prefix}.{field}", kind)
            else:
                names.add(f"{prefix}.{field}")

    for section, type_name in structs["Config"]:
        add(section, type_name)
    return names


def default_drain_timeout() -> int:
    text = (ROOT / "shared/core/src/server.rs").read_text(encoding="utf-8")
    match = re.search(r"drain_timeout_secs:\s*(\d+)\s*,", text)
    if not match:
        raise SystemExit("check.py: cannot find the default drain_timeout_secs in server.rs")
    return int(match.group(1))


def setting_name(env_name: str) -> str:
    return ".".join(env_name[len("KINTAI__") :].lower().split("__"))
