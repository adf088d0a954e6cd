"""The image build: release, locked, non-root, and every workspace member in the context."""

from __future__ import annotations

import re

from checks.common import ROOT
from checks.report import Report

def check_dockerfile(report: Report) -> None:
    """The image build: release, locked, non-root, and every workspace member in the context."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    build = re.search(r"cargo build[^\n]*", dockerfile)
    flags = build.group(0) if build else ""
    report.check("--release" in flags and "--locked" in flags, "Dockerfile: cargo build --locked --release", flags)
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    report.check(bool(user) and user[-1].split(":")[0] not in ("0", "root"), "Dockerfile: runs as a non-root user",
                 f"USER {user}")
    copied = [c.rstrip("/") for c in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.M)]
    allowed_back = [line[1:].strip().rstrip("/") for line in ignore.splitlines() if line.startswith("!")]
    members = re.search(r"members\s*=\s*\[(.*?)\]", (ROOT / "Cargo.toml").read_text(encoding="utf-8"), re.S)
    for member in re.findall(r'"([^"]+)"', members.group(1) if members else ""):
        if member == ".":
            continue
        top = member.split("/")[0]
        report.check(top in copied and top in allowed_back,
                     f"Dockerfile and .dockerignore bring workspace member {member} into the build",
                     f"COPY {copied}, .dockerignore lets in {allowed_back}")
    report.check(re.search(r"^\*\*/target/?$", ignore, re.M) is not None, ".dockerignore keeps target/ out")
