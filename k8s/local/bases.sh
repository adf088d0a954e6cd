#!/usr/bin/env bash
# Builds, from Debian packages only, the base images the Dockerfile and the staging overlay name
# but that cannot be pulled here (no container registry is reachable from our machines):
#
#   k8s/local/bases.sh [--rebuild] [runtime] [rust] [postgres]     (default: all three)
#
#   debian    debootstrap --variant=minbase bookworm, imported with `podman import` (the others'
#             parent; its apt sources include bookworm-updates and bookworm-security)
#   runtime   what gcr.io/distroless/cc-debian12:nonroot holds: glibc, libgcc, CA certificates,
#             tzdata, users root/nobody/nonroot (65532); no shell, no package manager
#   rust      the build stage's toolchain: Debian's rustc-web/cargo-web (see bases/rust.Containerfile)
#   postgres  Debian's PostgreSQL 15 with the official image's variables (bases/postgres.Containerfile)
#
# An image is built again only when its recipe changed (see recipe() below), or with --rebuild
# (e.g. to take in Debian's security updates).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=k8s/local/common.sh
source "$HERE/common.sh"

rebuild=false
wanted=()
for arg in "$@"; do
  case $arg in
    --rebuild) rebuild=true ;;
    runtime | rust | postgres) wanted+=("$arg") ;;
    *) die "unknown argument $arg (usage: bases.sh [--rebuild] [runtime] [rust] [postgres])" ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(runtime rust postgres)

ensure_podman
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT

# An image's recipe: RECIPE (raise it when this script changes what it builds), the mirrors, the
# files in bases/ it builds from, and for the others the Debian image they start from.
RECIPE=1
recipe() { { echo "$RECIPE $DEBIAN_MIRROR $DEBIAN_SECURITY_MIRROR"; cat "$@" /dev/null; } | sha256sum | cut -c1-16; }
child_recipe() { recipe "$@" <(podman image inspect --format '{{.Id}}' "$LOCAL_DEBIAN"); }

# Removes IMAGE's previous version (ID $2) once a rebuild has replaced it: base images are
# large, and podman keeps the old one as a nameless image otherwise.
drop_replaced() {
  local now
  now=$(podman image inspect --format '{{.Id}}' "$1")
  [ -z "$2" ] || [ "$2" = "$now" ] || podman rmi "$2" >/dev/null 2>&1 || true
}
previous() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# True when IMAGE exists and was built from RECIPE.
current() {
  ! $rebuild && [ "$(podman image inspect --format '{{index .Labels "kintai.local.recipe"}}' "$1" 2>/dev/null)" = "$2" ]
}

build_debian() {
  current "$LOCAL_DEBIAN" "$(recipe)" && return 0
  ensure_packages debootstrap
  local dir old
  old=$(previous "$LOCAL_DEBIAN")
  dir=$(mktemp -d /var/tmp/kintai-debootstrap.XXXXXX)
  scratch+=("$dir")
  say "debootstrap --variant=minbase bookworm (about half a minute)"
  debootstrap --variant=minbase bookworm "$dir/rootfs" "$DEBIAN_MIRROR" >"$dir/log" 2>&1 \
    || { tail -n 20 "$dir/log" >&2; die "debootstrap failed (log above)"; }
  cat >"$dir/rootfs/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb $DEBIAN_SECURITY_MIRROR bookworm-security main
EOF
  rm -rf "$dir/rootfs/var/cache/apt/archives/"*.deb "$dir/rootfs/var/lib/apt/lists/"*
  tar -C "$dir/rootfs" --numeric-owner -c . \
    | podman import --quiet --change "LABEL kintai.local.recipe=$(recipe)" --change 'CMD ["/bin/bash"]' \
      - "$LOCAL_DEBIAN" >/dev/null
  drop_replaced "$LOCAL_DEBIAN" "$old"
  say "built $LOCAL_DEBIAN"
}

build_runtime() {
  local recipe
  recipe=$(child_recipe "$HERE/bases/runtime-rootfs.sh")
  current "$LOCAL_RUNTIME" "$recipe" && return 0
  local dir old
  old=$(previous "$LOCAL_RUNTIME")
  dir=$(mktemp -d /var/tmp/kintai-runtime.XXXXXX)
  scratch+=("$dir")
  podman run --rm -v "$HERE/bases:/recipe:ro" -v "$dir:/out" "$LOCAL_DEBIAN" \
    bash /recipe/runtime-rootfs.sh
  # The image settings of distroless's :nonroot variant.
  podman import --quiet \
    --change "LABEL kintai.local.recipe=$recipe" \
    --change 'LABEL org.opencontainers.image.description="Debian 12 glibc, libgcc and CA certificates as distroless/cc-debian12:nonroot holds them; built by kintai-link k8s/local/bases.sh"' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'USER 65532:65532' --change 'WORKDIR /home/nonroot' \
    "$dir/runtime.tar" "$LOCAL_RUNTIME" >/dev/null
  drop_replaced "$LOCAL_RUNTIME" "$old"
  say "built $LOCAL_RUNTIME ($(image_size_mb "$LOCAL_RUNTIME") MB)"
}

# A Containerfile in bases/ (and the files it copies) on top of the local Debian image.
build_from() {
  local image=$1 containerfile=$2 recipe
  shift 2
  recipe=$(child_recipe "$HERE/bases/$containerfile" "${@/#/$HERE/bases/}")
  current "$image" "$recipe" && return 0
  local old
  old=$(previous "$image")
  podman build --quiet --build-arg "BASE=$LOCAL_DEBIAN" --label "kintai.local.recipe=$recipe" \
    -f "$HERE/bases/$containerfile" -t "$image" "$HERE/bases" >/dev/null
  drop_replaced "$image" "$old"
  say "built $image ($(image_size_mb "$image") MB)"
}

build_debian
for base in "${wanted[@]}"; do
  case $base in
    runtime) build_runtime ;;
    rust) build_from "$LOCAL_RUST" rust.Containerfile ;;
    postgres) build_from "$LOCAL_POSTGRES" postgres.Containerfile postgres-entrypoint.sh ;;
  esac
done
