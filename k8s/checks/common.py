"""Constants every check shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

K8S = Path(__file__).resolve().parent.parent
ROOT = K8S.parent
DEFAULT_VERSIONS = ["1.31.0", "1.37.0"]  # oldest we support (podFailurePolicy GA) and newest
GRPC_PORT = 50051
HEALTH_PORT = 50052  # server.health_listen: plaintext, health only, for kubelet's probes
KOT_SERVICES = {"settings", "matcher", "syncer"}  # settings too: it verifies tokens (RegisterToken)
CYZEN_NAMESPACE = "cyzen-platform"
PLACEHOLDER = "REPLACE_ME"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}

Doc = dict[str, Any]
