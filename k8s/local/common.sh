# Sourced by the scripts in k8s/local/: podman set up the way it runs on our machines, and the
# names of the local images. Nothing here is needed where the public images can be pulled.

# The images the scripts build. `localhost/` keeps podman from looking for them in a registry.
LOCAL_DEBIAN=localhost/kintai-local/debian:bookworm
LOCAL_RUNTIME=localhost/kintai-local/distroless-cc:bookworm-nonroot
LOCAL_RUST=localhost/kintai-local/rust:bookworm
LOCAL_POSTGRES=localhost/kintai-local/postgres:15-bookworm
DEBIAN_MIRROR=${KINTAI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${KINTAI_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "$*"; exit 1; }

# Installs what the scripts run with Debian's packages, when one is missing: nothing installed by
# hand on this machine exists on a fresh one (CI).
ensure_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "needs root to apt-get install ${missing[*]} (or install them first)"
  say "installing ${missing[*]} (Debian packages)"
  # apt-get update only when a first attempt cannot find a package (a fresh image has no lists).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >/dev/null 2>&1 || {
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  }
}

# podman 4.3 as Debian ships it, with the settings it needs on these machines: runc (crun is not
# installed), cgroupfs (no systemd), ulimits within the machine's hard limits (podman's defaults
# fail with "setrlimit ... Operation not permitted") and netavark (which sets up its bridge with
# iptables: without it every container start fails with "netavark: No such file or directory"),
# whose aardvark-dns gives containers on one network each other's names (a Service name as a
# network alias).
ensure_podman() {
  ensure_packages podman runc netavark aardvark-dns iptables
  local conf=/etc/containers/containers.conf
  if ! grep -qs 'kintai-local' "$conf"; then
    [ -s "$conf" ] && grep -v '^\s*#' "$conf" | grep -q '\S' \
      && die "$conf exists with settings of its own; add runtime=runc, cgroup_manager=cgroupfs, network_backend=netavark and default_ulimits (see k8s/local/common.sh) by hand"
    # Switching the network backend is only safe before podman made a network of its own.
    if podman network ls --format '{{.Name}}' 2>/dev/null | grep -qv '^podman$'; then
      die "podman already has networks on another backend; run 'podman system reset' or write $conf by hand"
    fi
    mkdir -p /etc/containers
    cat >"$conf" <<'EOF'
# Written by kintai-link's k8s/local scripts (kintai-local): podman 4.3 on a Debian 12 machine
# without systemd.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"

[network]
network_backend = "netavark"
EOF
    say "wrote $conf"
  fi
  podman info >/dev/null || die "podman does not run here (podman info failed)"
}

# The image's size as podman counts it (uncompressed), in MB.
image_size_mb() {
  podman image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.1f", $1 / 1000 / 1000 }'
}
