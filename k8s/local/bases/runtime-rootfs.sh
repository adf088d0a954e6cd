#!/bin/bash
# Runs inside the local Debian 12 image (bases.sh): assembles the root file system of a runtime
# base that holds what gcr.io/distroless/cc-debian12:nonroot holds, and writes it as a tarball
# to /out/runtime.tar. Like distroless it is made of whole Debian packages' files — no shell, no
# package manager, no coreutils — plus the users and the few /etc files a program expects.
set -euo pipefail

# distroless/base: base-files, netbase, tzdata, ca-certificates (the bundle only), libc6; cc adds
# libgcc-s1 (a Rust binary needs nothing else: libstdc++ and libgomp are for C++/OpenMP, and
# the binary uses rustls, not OpenSSL).
PACKAGES=(base-files netbase tzdata libc6 libgcc-s1)
ROOT=/rootfs

export DEBIAN_FRONTEND=noninteractive
quietly() { "$@" >/tmp/apt.log 2>&1 || { cat /tmp/apt.log >&2; exit 1; }; }
quietly apt-get update -q
quietly apt-get upgrade -y -q       # the security suite's fixes (libc6 above all)
quietly apt-get install -y -q --no-install-recommends ca-certificates tzdata netbase

mkdir -p "$ROOT"
# bookworm's /usr is merged: /lib, /bin and /sbin are links into /usr, as in the packages' system.
for link in bin lib lib64 sbin; do ln -s "usr/$link" "$ROOT/$link"; done
mkdir -p "$ROOT/usr/bin" "$ROOT/usr/lib" "$ROOT/usr/lib64" "$ROOT/usr/sbin"

# Every path the packages own, spelled under /usr, without documentation or translations (the
# copyright files stay, as in distroless).
for package in "${PACKAGES[@]}"; do
  dpkg-query -L "$package"
done | sed -E 's#^/(bin|lib|lib64|sbin)(/|$)#/usr/\1\2#' \
  | grep -Ev '^/usr/share/(man|info|lintian|locale)(/|$)|^/usr/share/doc/[^/]+/(changelog|NEWS|README)' \
  | sed -e 's#^/##' -e '/^\.\?$/d' | sort -u >/tmp/paths
# tar --no-recursion takes exactly the listed entries; the links above stay links.
(cd / && tar --no-recursion --numeric-owner -cf - -T /tmp/paths) | tar -C "$ROOT" -xf - --keep-directory-symlink

# The CA bundle update-ca-certificates made, where Go, OpenSSL and rustls-native-certs look.
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
# Users and groups as distroless has them: root, nobody and nonroot (65532), no login shell.
cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' \
  >"$ROOT/etc/nsswitch.conf"
install -d -m 0700 "$ROOT/root"
install -d -m 0700 -o 65532 -g 65532 "$ROOT/home/nonroot"
install -d -m 1777 "$ROOT/tmp"
install -d -m 0755 "$ROOT/var/lib/dpkg/status.d" "$ROOT/etc/ld.so.conf.d" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
# What scanners read to know the packages (distroless keeps one status file per package).
for package in "${PACKAGES[@]}" ca-certificates; do
  dpkg-query -s "$package" >"$ROOT/var/lib/dpkg/status.d/$package"
done
ldconfig -r "$ROOT"

# A runtime base has no shell and no package manager: prove it rather than trust the list.
for program in sh bash dash busybox dpkg apt apt-get perl python3; do
  if [ -e "$ROOT/usr/bin/$program" ] || [ -e "$ROOT/usr/sbin/$program" ]; then
    echo "runtime-rootfs: $program found in the runtime base" >&2
    exit 1
  fi
done
tar -C "$ROOT" --numeric-owner -cf /out/runtime.tar .
du -sh "$ROOT" | awk '{ print "runtime-rootfs: " $1 " on disk" }' >&2
