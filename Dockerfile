# syntax=docker/dockerfile:1
#
# Brevet's container image: a static binary (CGO_ENABLED=0) on distroless,
# running as a non-root user, fit for a read-only root file system: all
# state is in the volume /var/lib/brevet. Build and run: docs/deploy.md.
#
#   docker build -t brevet .

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/brevet ./cmd/brevet \
 && install -d -m 0700 -o 65532 -g 65532 /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/brevet /usr/local/bin/brevet
COPY --from=build --chown=65532:65532 /out/state /var/lib/brevet
# 65532 is distroless's "nonroot".
USER 65532:65532
# Brevet creates its data directory (mode 0700) inside the volume.
# Listening on every interface needs TLS (BREVET_TLS_CERT, BREVET_TLS_KEY)
# or, behind a proxy that terminates TLS, BREVET_INSECURE_HTTP=true: the
# server refuses to start otherwise.
ENV BREVET_DATA_DIR=/var/lib/brevet/data \
    BREVET_LISTEN=0.0.0.0:8787
VOLUME ["/var/lib/brevet"]
EXPOSE 8787
ENTRYPOINT ["/usr/local/bin/brevet"]
CMD ["serve"]
