#!/usr/bin/env bash
# Builds the `kintai` image from the top-level Dockerfile with podman, here or anywhere:
#
#   k8s/local/build-image.sh [--tag IMAGE] [--binary PATH] [--bases auto|local|public]
#
# Bases (--bases, default auto): the Dockerfile's public ones (rust:*-slim-bookworm and
# gcr.io/distroless/cc-debian12:nonroot) when podman has or can pull them, else local equivalents
# made from Debian packages by k8s/local/bases.sh. The script says which it used.
#
# The binary:
#   default        the Dockerfile's own build stage: `cargo build --locked --release` inside the
#                  build base. Locally that is Debian 12's rustc-web/cargo-web, checked against
#                  the workspace's rust-version; were it older, the script builds the release
#                  binary on the host instead and copies it in (and says so).
#   --binary PATH  an already built binary (e.g. the test build's target/debug/kintai), stripped
#                  into the build context `kintai-binary` (the Dockerfile's `prebuilt` stage):
#                  seconds instead of a release build's many minutes on a 2-core machine. What
#                  CI's smoke test uses.
#
# Prints the image's size last.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=k8s/local/common.sh
source "$HERE/common.sh"

tag=localhost/kintai:local
binary=
bases=auto
while [ $# -gt 0 ]; do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --bases) bases=$2; shift 2 ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
case $bases in auto | local | public) ;; *) die "--bases is auto, local or public" ;; esac
[ -z "$binary" ] || [ -x "$binary" ] || die "--binary $binary is not an executable file"

ensure_podman
dockerfile_arg() { sed -n "s/^ARG $1=//p" "$ROOT/Dockerfile" | head -n1; }
rust_version=$(dockerfile_arg RUST_VERSION)
public_build=$(dockerfile_arg BUILD_IMAGE | sed "s/\${RUST_VERSION}/$rust_version/")
public_runtime=$(dockerfile_arg RUNTIME_IMAGE)

# The public image when it is here or can be pulled (an unreachable registry fails in well under
# a second here), else nothing.
public_or_none() {
  [ "$bases" = local ] && return 0
  if podman image exists "$1" || timeout 120 podman pull --quiet "$1" >/dev/null 2>&1; then
    echo "$1"
  elif [ "$bases" = public ]; then
    die "--bases public: cannot pull $1"
  fi
}

runtime_image=$(public_or_none "$public_runtime")
if [ -z "$runtime_image" ]; then
  bash "$HERE/bases.sh" runtime
  runtime_image=$LOCAL_RUNTIME
fi
say "runtime base: $runtime_image"

# a.b[.c] >= x.y[.z]
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

context_dir=
cleanup() { [ -z "$context_dir" ] || rm -rf "$context_dir"; }
trap cleanup EXIT
build_args=(--build-arg "RUNTIME_IMAGE=$runtime_image")
if [ -z "$binary" ]; then
  build_image=$(public_or_none "$public_build")
  if [ -z "$build_image" ]; then
    bash "$HERE/bases.sh" rust
    build_image=$LOCAL_RUST
  fi
  wanted=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)
  have=$(podman run --rm "$build_image" rustc --version | awk '{ print $2 }')
  if version_at_least "$have" "$wanted"; then
    say "binary: built by the Dockerfile's build stage on $build_image (rustc $have >= rust-version $wanted)"
    build_args+=(--build-arg "BUILD_IMAGE=$build_image" --build-arg KINTAI_BINARY=source)
    # What this machine trusts, for cargo's downloads (a TLS-inspecting proxy's CA included).
    build_args+=(--secret "id=build-ca-certificates,src=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}")
  else
    say "binary: $build_image has rustc $have < rust-version $wanted; building it on the host (cargo build --release) and copying it in"
    (cd "$ROOT" && cargo build --locked --release --bin kintai)
    binary=${CARGO_TARGET_DIR:-$ROOT/target}/release/kintai
  fi
fi
if [ -n "$binary" ]; then
  context_dir=$(mktemp -d /var/tmp/kintai-binary.XXXXXX)
  strip -o "$context_dir/kintai" "$binary"
  say "binary: $binary, stripped ($(du -m "$binary" | cut -f1) MB -> $(du -m "$context_dir/kintai" | cut -f1) MB), through the Dockerfile's prebuilt stage"
  build_args+=(--build-arg KINTAI_BINARY=prebuilt --build-context "kintai-binary=$context_dir")
fi

previous=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
nameless_before=$(podman images --quiet --no-trunc --filter dangling=true | sort)
podman build --quiet "${build_args[@]}" -f "$ROOT/Dockerfile" -t "$tag" "$ROOT" >/dev/null
# What this build left nameless: the stages' intermediate images (a source build's is the size
# of the build base) and the image it replaced under the tag. cargo's registry and target stay
# in podman's cache mounts (/var/tmp/buildah-cache), so a rebuild is still incremental.
leftovers=$(comm -13 <(echo "$nameless_before") <(podman images --quiet --no-trunc --filter dangling=true | sort))
[ "$previous" = "$(podman image inspect --format '{{.Id}}' "$tag")" ] || leftovers="$leftovers $previous"
for image in $leftovers; do podman rmi "$image" >/dev/null 2>&1 || true; done
# What a pod runs: the binary starts on this base (glibc, libgcc) as user 65532.
podman run --rm --read-only "$tag" --version >/dev/null \
  || die "the image's binary does not start: podman run --rm $tag --version"
say "image $tag: $(image_size_mb "$tag") MB (uncompressed; the runtime base is $(image_size_mb "$runtime_image") MB of it)"
