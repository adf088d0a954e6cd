"""A pod's volumes as podman mounts, with the files, modes and owners kubelet would give them.

Secret and ConfigMap volumes (and projected ones made of them) are written to a folder on the
host and bind-mounted read-only. As kubelet does: each file has the item's mode, else the
volume's defaultMode (0644 when unset), and is owned by root; with a pod fsGroup the group is
fsGroup and the mode gains 0440 (SetVolumeOwnership of a read-only volume). Without fsGroup a
0440 file is therefore unreadable for a non-root user, as on a real node.
emptyDir is an empty tmpfs of its sizeLimit, mode 0777 as kubelet makes it.
A StatefulSet's volumeClaimTemplates become podman volumes owned by root:fsGroup, mode 2775.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smoke import podman
from smoke.manifests import ManifestError
from smoke.quantity import parse_bytes

Doc = dict[str, Any]


@dataclass
class Sources:
    secrets: dict[str, dict[str, str]]
    config_maps: dict[str, dict[str, str]]


def _items(kind: str, name: str, data: dict[str, str] | None, spec: Doc) -> list[tuple[str, str, int | None]]:
    """(path, content, mode) of a Secret or ConfigMap source: its items, or every key."""
    if data is None:
        if spec.get("optional"):
            return []
        raise ManifestError(f"{kind} {name} does not exist (and the volume is not optional)")
    if "items" not in spec:
        return [(key, value, None) for key, value in data.items()]
    chosen = []
    for item in spec["items"]:
        if item["key"] not in data:
            raise ManifestError(f"{kind} {name} has no key {item['key']!r}")
        chosen.append((item["path"], data[item["key"]], item.get("mode")))
    return chosen


def _files(volume: Doc, sources: Sources) -> tuple[list[tuple[str, str, int | None]], int]:
    if "secret" in volume:
        spec = volume["secret"]
        name = spec["secretName"]
        return _items("Secret", name, sources.secrets.get(name), spec), spec.get("defaultMode", 0o644)
    if "configMap" in volume:
        spec = volume["configMap"]
        name = spec["name"]
        return _items("ConfigMap", name, sources.config_maps.get(name), spec), spec.get("defaultMode", 0o644)
    projected = volume["projected"]
    files = []
    for source in projected.get("sources", []):
        if "secret" in source:
            name = source["secret"]["name"]
            files += _items("Secret", name, sources.secrets.get(name), source["secret"])
        elif "configMap" in source:
            name = source["configMap"]["name"]
            files += _items("ConfigMap", name, sources.config_maps.get(name), source["configMap"])
        else:
            raise ManifestError(f"projected volume {volume['name']}: only secret and configMap sources are emulated")
    return files, projected.get("defaultMode", 0o644)


def _write(directory: Path, files: list[tuple[str, str, int | None]], default_mode: int, fs_group: int | None) -> None:
    directory.mkdir(parents=True)
    for relative, content, mode in files:
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        mode = default_mode if mode is None else mode
        if fs_group is not None:
            os.chown(path, 0, fs_group)
            mode |= 0o440
        os.chmod(path, mode)
    for folder in [directory, *[p for p in directory.rglob("*") if p.is_dir()]]:
        if fs_group is not None:
            os.chown(folder, 0, fs_group)
            os.chmod(folder, 0o2755)
        else:
            os.chmod(folder, 0o755)


def mounts(pod: str, pod_spec: Doc, container: Doc, claims: list[Doc], sources: Sources,
           workdir: Path, fs_group: int | None) -> tuple[list[str], list[str]]:
    """(podman run arguments, podman volumes created) for the container's volumeMounts."""
    volumes = {volume["name"]: volume for volume in pod_spec.get("volumes", [])}
    claim_names = {claim["metadata"]["name"] for claim in claims}
    args: list[str] = []
    created: list[str] = []
    for mount in container.get("volumeMounts", []):
        name, path = mount["name"], mount["mountPath"]
        unknown = set(mount) - {"name", "mountPath", "readOnly", "subPath"}
        if unknown:
            raise ManifestError(f"{pod}: volumeMount {name} uses {sorted(unknown)}, which the smoke test does not emulate")
        read_only = mount.get("readOnly", False)
        if name in claim_names:
            volume_name = f"smoke-{name}-{pod}"
            podman.run(["volume", "create", volume_name])
            created.append(volume_name)
            mountpoint = Path(podman.output(["volume", "inspect", "--format", "{{.Mountpoint}}", volume_name]).strip())
            os.chown(mountpoint, 0, fs_group if fs_group is not None else 0)
            os.chmod(mountpoint, 0o2775 if fs_group is not None else 0o755)
            args += ["-v", f"{volume_name}:{path}" + (":ro" if read_only else "")]
            continue
        if name not in volumes:
            raise ManifestError(f"{pod}: volumeMount {name} names no volume of the pod")
        volume = volumes[name]
        kinds = set(volume) - {"name"}
        if kinds == {"emptyDir"}:
            if mount.get("subPath"):
                raise ManifestError(f"{pod}: subPath into emptyDir {name} is not emulated")
            # Empty and writable for the container's user, as kubelet's 0777 emptyDir is. Where
            # the image has the folder already podman gives the tmpfs that folder's mode whatever
            # mode= says, so U makes the tmpfs the container user's.
            options = ["rw", "exec", "nosuid", "nodev", "notmpcopyup", "mode=0777", "U"]
            size = (volume["emptyDir"] or {}).get("sizeLimit")
            if size:
                options.append(f"size={parse_bytes(str(size))}")
            args += ["--tmpfs", f"{path}:{','.join(options)}"]
        elif kinds & {"secret", "configMap", "projected"} and len(kinds) == 1:
            files, default_mode = _files(volume, sources)
            directory = workdir / "volumes" / pod / name
            if not directory.exists():
                _write(directory, files, default_mode, fs_group)
            source = directory / mount["subPath"] if mount.get("subPath") else directory
            if not source.exists():
                raise ManifestError(f"{pod}: volumeMount {name} subPath {mount.get('subPath')!r} is not in the volume")
            # kubelet mounts these volumes read-only whatever the mount says.
            args += ["-v", f"{source}:{path}:ro"]
        else:
            raise ManifestError(f"{pod}: volume {name} is {sorted(kinds)}, which the smoke test does not emulate")
    return args, created
