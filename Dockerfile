# syntax=docker/dockerfile:1
# The `kintai` image: one binary for every pod (`kintai serve settings|matcher|syncer`), the
# CronJobs (`kintai trigger match|sync`) and the staging simulator (`kintai kot-sim`).
#
#   docker build -t REGISTRY/kintai:TAG .
#
# The bases are build arguments so that machines without a registry can build the same image
# from local equivalents: `k8s/local/build-image.sh` makes them from Debian packages and passes
#   BUILD_IMAGE    rust:*-slim-bookworm, or Debian 12's rustc-web/cargo-web toolchain
#   RUNTIME_IMAGE  distroless cc-debian12:nonroot, or the same files taken from Debian packages
#   KINTAI_BINARY  `source` (default): build here; `prebuilt`: take an already built binary from
#                  the build context named `kintai-binary` (`--build-context kintai-binary=DIR`,
#                  holding DIR/kintai), as the smoke test does with the binary its tests built.
ARG RUST_VERSION=1.95
ARG BUILD_IMAGE=docker.io/library/rust:${RUST_VERSION}-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
ARG KINTAI_BINARY=source

# Build: the workspace in release mode with the locked dependencies. No protoc (protox is pure
# Rust) and no OpenSSL (rustls) are needed; ring needs the C compiler the rust image ships.
FROM ${BUILD_IMAGE} AS source
WORKDIR /src
# Only what the build reads (.dockerignore keeps the rest out of the context as well).
COPY Cargo.toml Cargo.lock ./
COPY proto ./proto
COPY shared ./shared
COPY services ./services
COPY src ./src
# A workspace member (the test command), so the manifest resolves; the image never builds it.
COPY xtask ./xtask
# Line tables are dropped from the image's binary (symbols stay, so a panic's backtrace still
# names its functions). Behind a TLS-inspecting proxy, crates.io is reached with the CA bundle
# given as the build secret `build-ca-certificates` (never part of a layer); without it, cargo
# trusts the build image's own CAs.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    --mount=type=secret,id=build-ca-certificates \
    if [ -s /run/secrets/build-ca-certificates ]; then export CARGO_HTTP_CAINFO=/run/secrets/build-ca-certificates; fi \
    && cargo build --locked --release --bin kintai --config 'profile.release.strip="debuginfo"' \
    && install -D -m 0755 target/release/kintai /out/kintai

# A binary built elsewhere (stripped by whoever built it).
FROM scratch AS prebuilt
COPY --from=kintai-binary kintai /out/kintai

FROM ${KINTAI_BINARY} AS binary

# Run: glibc, libgcc and CA certificates, no shell, as the unprivileged user 65532 ("nonroot").
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="kintai" \
      org.opencontainers.image.description="kintai-link: carries cyzen attendance punches into KING OF TIME" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=binary /out/kintai /usr/local/bin/kintai
USER 65532:65532
EXPOSE 50051
ENTRYPOINT ["/usr/local/bin/kintai"]
CMD ["--help"]
