# rosteron in one image that runs every command on its own: roster, serve,
# demo, mock, parse, diff. Chrome (Debian's chromium-headless-shell) is
# inside, the user is not root, and HEALTHCHECK asks serve's /healthz.
#
#   docker build -t rosteron .
#   docker run --rm rosteron demo
#
# The bases are public images pinned by tag. Where no registry answers,
# `make images` builds stand-ins for them from Debian's packages under the
# same names, so this file builds unchanged (scripts/stand-in-images).
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG BASE_IMAGE=debian:bookworm-20250520-slim

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/rosteron ./cmd/rosteron

FROM ${BASE_IMAGE} AS rosteron
# Chrome, fonts for screenshots, CA certificates, and nothing else.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium-headless-shell ca-certificates fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# A user of its own, and the feed's state folder owned by it, so that a
# named volume mounted on /state starts out writable.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/rosteron \
        --shell /usr/sbin/nologin rosteron \
    && install -d -o rosteron -g rosteron -m 0700 /state
COPY --from=build /out/rosteron /usr/local/bin/rosteron
USER 10001:10001
WORKDIR /home/rosteron
# serve keeps its state in /state/rosteron: mount a volume on /state.
ENV XDG_STATE_HOME=/state
# Chrome's sandbox needs user namespaces, which Docker's default seccomp
# profile withholds, so by default Chrome runs without it here: the
# container, a user without privileges and no capabilities are the
# boundary instead. Under deploy/chrome-seccomp.json, as docker-compose.yml
# runs serve and chrome, it keeps its sandbox: set ROSTERON_NO_SANDBOX=0.
ENV ROSTERON_NO_SANDBOX=1
EXPOSE 8765
HEALTHCHECK --interval=30s --timeout=5s --start-period=2m --retries=3 \
    CMD ["rosteron", "healthcheck"]
ENTRYPOINT ["rosteron"]
CMD ["help"]
