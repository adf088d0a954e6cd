"""Every invariant over one rendered overlay, in the order the report prints them."""

from __future__ import annotations

from typing import Any

from checks.common import Doc
from checks.crds import check_certificates
from checks.cronjobs import check_cronjobs
from checks.network import check_network
from checks.objects import containers, is_kintai, name_of, pod_spec
from checks.overlay import Overlay
from checks.placeholders import looks_real, secret_values
from checks.report import Collector, Report
from checks.services import check_services
from checks.workloads import check_disruption_budgets, check_workloads


def check_set(label: str, docs: list[Doc], c: Collector | Report, ctx: dict[str, Any]) -> None:
    """Every invariant over one rendered overlay."""
    o = Overlay(label, docs)
    p = o.prefix
    if label == "secrets":  # the Secret templates: only the Secret checks below apply
        o.workloads, o.deployments = [], []
    else:
        c.check(bool(o.deployments), p + "renders Deployments", f"{len(o.deployments)} found")
    workloads, by_kind = o.workloads, o.by_kind

    check_services(o, c, ctx)
    check_workloads(o, c, ctx)
    check_disruption_budgets(o, c)
    check_cronjobs(o, c)
    check_certificates(o, c)

    # -- Secrets -------------------------------------------------------------------------------
    secrets = by_kind.get("Secret", [])
    if label != "secrets":
        c.check(not secrets, p + "contains no Secret (apply never overwrites the operator's Secrets)",
                f"found {[name_of(s) for s in secrets]}")
    for secret in secrets:
        for key, value in secret_values(secret):
            why = looks_real(value)
            c.check(why is None, f"{p}{name_of(secret)}: {key} is a placeholder", why or "")

    # -- images: one kintai build per overlay --------------------------------------------------
    kintai_images = {ct["image"] for w in workloads for ct in containers(pod_spec(w)) if is_kintai(ct)}  # type: ignore[arg-type]
    if workloads:
        c.check(len(kintai_images) == 1, p + "every kintai container runs the same image",
                f"{sorted(kintai_images)}")
    for ns in by_kind.get("Namespace", []):
        labels = ns["metadata"].get("labels") or {}
        c.check(labels.get("pod-security.kubernetes.io/enforce") == "restricted",
                f"{p}{name_of(ns)}: enforces the restricted Pod Security Standard")

    # -- network policies ----------------------------------------------------------------------
    if workloads:
        check_network(p, docs, workloads, c)
