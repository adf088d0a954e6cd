"""The podman calls the smoke test makes, each with a bounded wait."""

from __future__ import annotations

import json
import subprocess
from typing import Any


class PodmanError(Exception):
    pass


def run(args: list[str], timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PodmanError(f"podman {args[0]} did not answer within {timeout:.0f} s") from None
    if check and result.returncode != 0:
        # The arguments may hold an env file's path but never a value: safe to name.
        raise PodmanError(f"podman {' '.join(args[:4])}... failed ({result.returncode}): {result.stderr.strip()}")
    return result


def output(args: list[str], timeout: float = 120) -> str:
    return run(args, timeout).stdout


def inspect(name: str) -> dict[str, Any]:
    return json.loads(output(["container", "inspect", name]))[0]


def ip_address(name: str, network: str) -> str:
    address = inspect(name)["NetworkSettings"]["Networks"][network]["IPAddress"]
    if not address:
        raise PodmanError(f"{name} has no address on {network}")
    return address


def state(name: str) -> dict[str, Any]:
    return inspect(name)["State"]


def restart_count(name: str) -> int:
    return int(inspect(name).get("RestartCount", 0))


def published_port(name: str, container_port: int) -> int:
    """The host port podman published for the container's port (on 127.0.0.1)."""
    text = output(["port", name, f"{container_port}/tcp"]).strip().splitlines()
    if not text:
        raise PodmanError(f"{name} publishes no port for {container_port}")
    return int(text[0].rsplit(":", 1)[1])


def logs(name: str) -> str:
    result = run(["logs", name], timeout=60, check=False)
    return result.stdout + result.stderr


def remove(names: list[str]) -> None:
    if names:
        run(["rm", "--force", "--time", "0", *names], timeout=120, check=False)
