# otuserver: a static musl binary in a FROM scratch image.
#   make image      (or: docker build --network host -t otuserver .)
#   docker run -p 8080:80 otuserver
# Where no registry answers, `make image` first builds debian:bookworm-slim
# locally with scripts/docker-base; this file does not change.

FROM debian:bookworm-slim AS build
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        gcc libc6-dev make musl-tools dpkg-dev binutils ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY scripts/ scripts/
COPY src/ src/
# Builds libevent from Debian's source package with musl-gcc, then otuserver.
RUN make static && scripts/check-static build/otuserver-static

FROM scratch
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
COPY --from=build /src/build/otuserver-static /otuserver
COPY DOCUMENT_ROOT/ /srv/www/
ENV OTUSERVER_PORT=80 \
    OTUSERVER_WORKERS=auto \
    OTUSERVER_LOG_FILE=- \
    OTUSERVER_ROOT=/srv/www
# Numeric, so Kubernetes can check runAsNonRoot without an /etc/passwd.
USER 65532:65532
EXPOSE 80
# No shell or curl in the image: the binary probes itself.  Every 30 s once
# running (Docker's default pace), every second during the first 10 s, so a
# fresh container is healthy within about a second (--start-interval: Docker 25+).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --start-interval=1s --retries=3 \
    CMD ["/otuserver", "--healthcheck"]
ENTRYPOINT ["/otuserver"]
