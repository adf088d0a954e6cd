"""One rendered overlay, indexed the way the invariant checks look it up."""

from __future__ import annotations

import re

from checks.common import WORKLOAD_KINDS, Doc
from checks.objects import pod_labels, selector_matches


class Overlay:
    """The rendered objects of one overlay (or of the Secret templates, label `secrets`)."""

    def __init__(self, label: str, docs: list[Doc]) -> None:
        self.label = label
        self.docs = docs
        self.by_kind: dict[str, list[Doc]] = {}
        for doc in docs:
            self.by_kind.setdefault(doc["kind"], []).append(doc)
        self.configmaps = {d["metadata"]["name"]: d for d in self.by_kind.get("ConfigMap", [])}
        self.services = self.by_kind.get("Service", [])
        self.workloads = [d for d in docs if d["kind"] in WORKLOAD_KINDS]
        self.deployments = self.by_kind.get("Deployment", [])
        self.prefix = f"{label}: "

    def service_for(self, url: str) -> Doc | None:
        """The Service a `http(s)://NAME[.…][:PORT]` URL addresses, if the overlay has it."""
        match = re.match(r"^https?://([^:/]+)(?::(\d+))?", url or "")
        if not match:
            return None
        host = match.group(1).split(".")[0]
        port = int(match.group(2) or 80)
        for svc in self.services:
            if svc["metadata"]["name"] == host and any(
                sp["port"] == port for sp in svc["spec"].get("ports", [])
            ):
                return svc
        return None

    def pods_behind(self, svc: Doc) -> list[Doc]:
        """The long-running workloads a Service selects."""
        return [w for w in self.workloads if w["kind"] != "CronJob"
                and selector_matches({"matchLabels": svc["spec"].get("selector") or {"-": "-"}},
                                     pod_labels(w))]
