"""The three `kintai serve` Deployments: probes, listen address, TLS, drain, peers, Services."""

from __future__ import annotations

from typing import Any

from checks.common import GRPC_PORT, HEALTH_PORT, KOT_SERVICES
from checks.objects import container_env, name_of, pod_spec, serve_target
from checks.overlay import Overlay
from checks.report import Collector, Report


def check_services(o: Overlay, c: Collector | Report, ctx: dict[str, Any]) -> None:
    drain_default: int = ctx["drain"]
    label, p, deployments, configmaps, services = o.label, o.prefix, o.deployments, o.configmaps, o.services
    service_for, pods_behind = o.service_for, o.pods_behind
    served = {serve_target(d): d for d in deployments if serve_target(d)}
    if label != "secrets":
        c.check(set(served) == {"settings", "matcher", "syncer"},
            p + "one Deployment per service runs `kintai serve settings|matcher|syncer`",
                f"found {sorted(served)}")
    for service, dep in sorted(served.items()):
        spec = pod_spec(dep)
        assert spec is not None
        container = next(ct for ct in spec["containers"] if (ct.get("args") or [])[:1] == ["serve"])
        n = f"{p}{name_of(dep)}: "
        env = container_env(container, configmaps)
        # kubelet's gRPC probe cannot speak TLS: it calls the plaintext health-only listener.
        for kind in ("livenessProbe", "readinessProbe"):
            probe = container.get(kind) or {}
            port = (probe.get("grpc") or {}).get("port")
            c.check(port == HEALTH_PORT, n + f"native gRPC {kind} on the health-only port {HEALTH_PORT}",
                    f"{kind} is {probe or 'missing'}")
        health = str(env.get("KINTAI__SERVER__HEALTH_LISTEN", ""))
        c.check(health.rsplit(":", 1)[-1] == str(HEALTH_PORT),
                n + f"server.health_listen on port {HEALTH_PORT}", repr(health))
        check_tls(n, spec, container, env, c)
        listen = str(env.get("KINTAI__SERVER__LISTEN", ""))
        c.check(listen.rsplit(":", 1)[-1] == str(GRPC_PORT) and not listen.startswith("127."),
                n + f"listens on all interfaces, port {GRPC_PORT} (server.listen)", repr(listen))
        c.check(any(cp.get("containerPort") == GRPC_PORT for cp in container.get("ports") or []),
                n + f"declares containerPort {GRPC_PORT}")
        drain = int(env.get("KINTAI__SERVER__DRAIN_TIMEOUT_SECS", drain_default))
        pre_stop = (((container.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get("seconds", 0)
        grace = spec.get("terminationGracePeriodSeconds", 30)
        c.check(grace > drain + pre_stop,
                n + "terminationGracePeriodSeconds above preStop sleep + drain timeout",
                f"grace {grace}, preStop {pre_stop}, drain {drain}")
        c.check(env.get("KINTAI__TELEMETRY__LOG_FORMAT") == "json", n + "logs JSON",
                repr(env.get("KINTAI__TELEMETRY__LOG_FORMAT")))
        url = env.get("KINTAI__DATABASE__URL")
        c.check(isinstance(url, dict) and "secretKeyRef" in url,
                n + "database.url comes from a Secret", f"it is {url!r}")
        if service == "settings":
            key_file = env.get("KINTAI__CRYPTO__TOKEN_KEY_FILE")
            mounts = [m["mountPath"] for m in container.get("volumeMounts") or []
                      if any(v["name"] == m["name"] and "secret" in v for v in spec.get("volumes") or [])]
            c.check(isinstance(key_file, str) and any(key_file.startswith(m.rstrip("/") + "/") for m in mounts),
                    n + "token keys read from a mounted Secret file (crypto.token_key_file)",
                    f"token_key_file={key_file!r}, secret mounts {mounts}")
            c.check("KINTAI__CRYPTO__TOKEN_KEYS" not in env,
                    n + "token keys are not in the environment")
        else:
            c.check(str(env.get("KINTAI__PEERS__SETTINGS_URL", "")).startswith("https://"),
                    n + "peers.settings_url is https:// (TLS)")
            svc = service_for(str(env.get("KINTAI__PEERS__SETTINGS_URL", "")))
            c.check(svc is not None and any(serve_target(d) == "settings" for d in pods_behind(svc)),
                    n + "peers.settings_url is a Service in front of settings",
                    repr(env.get("KINTAI__PEERS__SETTINGS_URL")))
        if service == "syncer":
            c.check(str(env.get("KINTAI__PEERS__MATCHER_URL", "")).startswith("https://"),
                    n + "peers.matcher_url is https:// (TLS)")
            svc = service_for(str(env.get("KINTAI__PEERS__MATCHER_URL", "")))
            c.check(svc is not None and any(serve_target(d) == "matcher" for d in pods_behind(svc)),
                    n + "peers.matcher_url is a Service in front of the matcher",
                    repr(env.get("KINTAI__PEERS__MATCHER_URL")))
        if service in KOT_SERVICES:
            base = str(env.get("KINTAI__KOT__BASE_URL", "https://api.kingtime.jp/v1.0"))
            ok = base.startswith("https://") or service_for(base) is not None
            c.check(ok, n + "kot.base_url is HTTPS or an in-cluster Service (the simulator)", base)
        svcs = [s for s in services if dep in pods_behind(s)
                and any(sp.get("port") == GRPC_PORT for sp in s["spec"].get("ports", []))]
        c.check(len(svcs) == 1 and svcs[0]["metadata"]["name"] == f"kintai-{service}",
                n + f"Service kintai-{service} on {GRPC_PORT} selects it",
                f"found {[s['metadata']['name'] for s in svcs]}")


def secret_mounts(spec: dict, container: dict) -> list[str]:
    """The mount paths of the container's Secret volumes."""
    secret_volumes = {v["name"] for v in spec.get("volumes") or [] if "secret" in v}
    return [m["mountPath"].rstrip("/") for m in container.get("volumeMounts") or []
            if m["name"] in secret_volumes]


def in_secret(value: object, mounts: list[str]) -> bool:
    return isinstance(value, str) and any(value.startswith(m + "/") for m in mounts)


def check_tls(n: str, spec: dict, container: dict, env: dict, c: Collector | Report) -> None:
    """TLS on, with mutual TLS, from files of a mounted Secret; no plaintext allowed."""
    mounts = secret_mounts(spec, container)
    for setting in ("SERVER__TLS__CERT_FILE", "SERVER__TLS__KEY_FILE", "SERVER__TLS__CLIENT_CA_FILE",
                    "PEERS__TLS__CA_FILE", "PEERS__TLS__CERT_FILE", "PEERS__TLS__KEY_FILE"):
        value = env.get(f"KINTAI__{setting}")
        name = setting.lower().replace("__", ".")
        c.check(in_secret(value, mounts), n + f"{name} is a file of a mounted Secret (TLS on)",
                f"{name}={value!r}, secret mounts {mounts}")
    for setting in ("KINTAI__SERVER__ALLOW_PLAINTEXT", "KINTAI__PEERS__ALLOW_PLAINTEXT"):
        c.check(str(env.get(setting, "false")).lower() != "true",
                n + f"{setting} is not true (no plaintext beyond the pod)")
