"""The `kintai trigger match|sync` CronJobs: schedule, time zone, concurrency, limits, target."""

from __future__ import annotations

import re

from checks.common import Doc
from checks.objects import container_env, name_of, pod_spec, serve_target
from checks.overlay import Overlay
from checks.report import Collector, Report


def check_cronjobs(o: Overlay, c: Collector | Report) -> None:
    label, p, by_kind = o.label, o.prefix, o.by_kind
    service_for, pods_behind = o.service_for, o.pods_behind
    cronjobs = by_kind.get("CronJob", [])
    runs: dict[str, Doc] = {}
    for cj in cronjobs:
        ct = pod_spec(cj)["containers"][0]  # type: ignore[index]
        args = ct.get("args") or []
        if args[:1] == ["trigger"] and len(args) >= 2:
            runs[args[1]] = cj
    if label != "secrets":
        c.check(set(runs) == {"match", "sync"},
                p + "CronJobs run `kintai trigger match` and `kintai trigger sync`", f"found {sorted(runs)}")
    schedules = {"match": r"^\d{1,2} \* \* \* \*$", "sync": r"^\d{1,2} \*/3 \* \* \*$"}
    targets = {"match": "matcher", "sync": "syncer"}
    for run, cj in sorted(runs.items()):
        n = f"{p}{name_of(cj)}: "
        s = cj["spec"]
        job = s["jobTemplate"]["spec"]
        c.check(re.match(schedules.get(run, "^$"), s.get("schedule", "")) is not None,
                n + ("hourly" if run == "match" else "every three hours"), repr(s.get("schedule")))
        c.check(s.get("timeZone") == "Asia/Tokyo", n + "timeZone Asia/Tokyo", repr(s.get("timeZone")))
        c.check(s.get("concurrencyPolicy") == "Forbid", n + "concurrencyPolicy Forbid",
                repr(s.get("concurrencyPolicy")))
        c.check(isinstance(s.get("startingDeadlineSeconds"), int) and s["startingDeadlineSeconds"] > 0,
                n + "startingDeadlineSeconds set", repr(s.get("startingDeadlineSeconds")))
        for limit in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            value = s.get(limit)
            c.check(isinstance(value, int) and 0 < value <= 10, n + f"{limit} set and at most 10", repr(value))
        backoff = job.get("backoffLimit")
        c.check(isinstance(backoff, int) and backoff <= 6, n + "backoffLimit set and at most 6", repr(backoff))
        c.check(isinstance(job.get("activeDeadlineSeconds"), int), n + "activeDeadlineSeconds set")
        args = pod_spec(cj)["containers"][0].get("args") or []  # type: ignore[index]
        target = args[args.index("--target") + 1] if "--target" in args[:-1] else ""
        svc = service_for(target)
        c.check(svc is not None and any(serve_target(d) == targets[run] for d in pods_behind(svc)),
                n + f"--target is the Service in front of the {targets[run]}", repr(target))
        c.check(target.startswith("https://"), n + "--target is https:// (TLS)", repr(target))
        spec = pod_spec(cj) or {}
        container = spec["containers"][0]
        env = container_env(container, o.configmaps)
        secret_volumes = {v["name"] for v in spec.get("volumes") or [] if "secret" in v}
        mounts = [m["mountPath"].rstrip("/") for m in container.get("volumeMounts") or []
                  if m["name"] in secret_volumes]
        for setting in ("CA_FILE", "CERT_FILE", "KEY_FILE"):
            value = env.get(f"KINTAI__PEERS__TLS__{setting}")
            c.check(isinstance(value, str) and any(value.startswith(m + "/") for m in mounts),
                    n + f"peers.tls.{setting.lower()} is a file of a mounted Secret", repr(value))
