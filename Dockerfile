# syntax=docker/dockerfile:1
# The `kintai` image: one binary for every pod (`kintai serve settings|matcher|syncer`), the
# CronJobs (`kintai trigger match|sync`) and the staging simulator (`kintai kot-sim`).
#
#   docker build -t REGISTRY/kintai:TAG .
#
# Build: the workspace in release mode with the locked dependencies. No protoc (protox is pure
# Rust) and no OpenSSL (rustls) are needed; ring needs the C compiler the rust image ships.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# Only what the build reads (.dockerignore keeps the rest out of the context as well).
COPY Cargo.toml Cargo.lock ./
COPY proto ./proto
COPY shared ./shared
COPY services ./services
COPY src ./src
# A workspace member (the test command), so the manifest resolves; the image never builds it.
COPY xtask ./xtask
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --locked --release --bin kintai \
    && install -D -m 0755 target/release/kintai /out/kintai

# Run: glibc, libgcc and CA certificates, no shell, as the unprivileged user 65532 ("nonroot").
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="kintai" \
      org.opencontainers.image.description="kintai-link: carries cyzen attendance punches into KING OF TIME" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/kintai /usr/local/bin/kintai
USER 65532:65532
EXPOSE 50051
ENTRYPOINT ["/usr/local/bin/kintai"]
CMD ["--help"]
