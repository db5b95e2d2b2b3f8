# otuserver: a static musl binary in a FROM scratch image.
#   make image      (or: docker build --network host -t otuserver .)
#   docker run -p 8080:80 otuserver
# Where no registry answers, `make image` first builds debian:bookworm-slim
# locally with scripts/build/docker-base; this file does not change.
#
# Two ways to the same image:
#  - the default (last) target builds the binary in the build stage;
#  - `prebuilt` takes a binary built outside Docker, from a context holding
#    only that binary (named otuserver) and DOCUMENT_ROOT/: make image-arm64
#    puts the aarch64 cross build there, the one tested under qemu, and
#    builds this target with --platform linux/arm64.
# Both start from their binary and then repeat the same lines: Docker 20.10's
# legacy builder matches cached steps without regard to the platform, so two
# images that began with the same step (the site) would share its layers,
# architecture included.  make cross-test checks the two configurations agree.
# Every stage carries org.opencontainers.image.source, so `make image` can
# prune the dangling images the legacy builder leaves (docs/supply-chain.md).

# A binary built outside Docker (see above).  The legacy builder builds every
# stage before the one asked for, so the default build passes here too, in the
# repository's context, and throws the result away: there `otuserve[r]` matches
# nothing and `Makefile*` keeps the COPY from failing; in make image-arm64's
# context `Makefile*` matches nothing and only the binary is copied.
FROM scratch AS prebuilt
COPY otuserve[r] Makefile* /
COPY DOCUMENT_ROOT/ /srv/www/
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="otuserver" \
      org.opencontainers.image.description="A small, fast static-file HTTP/1.1 server: prefork workers on libevent, sendfile, nothing outside the root" \
      org.opencontainers.image.source="https://github.com/otuserver/otuserver" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name=""
ENV OTUSERVER_PORT=80 \
    OTUSERVER_WORKERS=auto \
    OTUSERVER_LOG_FILE=- \
    OTUSERVER_ROOT=/srv/www \
    OTUSERVER_HEALTH_PATH=/healthz \
    OTUSERVER_COMPRESS_CACHE_DIR=/var/cache/otuserver
USER 65532:65532
EXPOSE 80
HEALTHCHECK --interval=4s --timeout=2s --start-period=10s --retries=3 \
    CMD ["/otuserver", "--healthcheck"]
ENTRYPOINT ["/otuserver"]

FROM debian:bookworm-slim AS build
LABEL org.opencontainers.image.source="https://github.com/otuserver/otuserver"
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        gcc libc6-dev make musl-tools dpkg-dev binutils file ca-certificates media-types \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY scripts/ scripts/
COPY src/ src/
# Builds the libraries (libevent, crypt(), libdeflate, libyaml, xxhash, zlib, brotli, zstd) from Debian's source packages with musl-gcc, then otuserver.
RUN make static && scripts/check/check-static build/otuserver-static

# The image: the binary of the build stage, then the same lines as prebuilt's
# (make cross-test compares the two images' configurations).
FROM scratch
COPY --from=build /src/build/otuserver-static /otuserver
COPY DOCUMENT_ROOT/ /srv/www/
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="otuserver" \
      org.opencontainers.image.description="A small, fast static-file HTTP/1.1 server: prefork workers on libevent, sendfile, nothing outside the root" \
      org.opencontainers.image.source="https://github.com/otuserver/otuserver" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name=""
# The health path answers HEALTHCHECK's probes (every 4 s) without logging them at
# info; OTUSERVER_HEALTH_PATH= (empty) turns it off.  The workers share compressed
# results in /var/cache/otuserver: mount a tmpfs there (docker run --tmpfs
# /var/cache/otuserver, compose and the k8s manifests do); without one the
# server says so once and each worker keeps its own in memory.
ENV OTUSERVER_PORT=80 \
    OTUSERVER_WORKERS=auto \
    OTUSERVER_LOG_FILE=- \
    OTUSERVER_ROOT=/srv/www \
    OTUSERVER_HEALTH_PATH=/healthz \
    OTUSERVER_COMPRESS_CACHE_DIR=/var/cache/otuserver
# Numeric, so Kubernetes can check runAsNonRoot without an /etc/passwd.
USER 65532:65532
EXPOSE 80
# No shell or curl in the image: the binary probes itself (about 1 ms a probe).
# Docker runs the first probe one interval after the start, and the engines in
# use (20.10 here) have no --start-interval (Docker 25+), so the interval is
# the trade: 4 s makes a new container healthy within about 4 s and a hung one
# unhealthy within 12 s.  Longer in production if you like: docker run
# --health-interval=30s, or healthcheck.interval in compose.
HEALTHCHECK --interval=4s --timeout=2s --start-period=10s --retries=3 \
    CMD ["/otuserver", "--healthcheck"]
ENTRYPOINT ["/otuserver"]
