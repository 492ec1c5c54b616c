# The rosteron CLI in a small image; docker-compose runs it as the mock
# RosterOn server and as the calendar feed (`serve`). Chrome is not in this
# image: the compose `chrome` service provides it over DevTools
# (ROSTERON_BROWSER=ws://chrome:9222).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/rosteron ./cmd/rosteron
# The feed's state folder, owned by the image's user so that a named volume
# mounted there starts out writable.
RUN mkdir -m 0700 /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rosteron /usr/local/bin/rosteron
COPY --from=build --chown=65532:65532 /out/state /state
EXPOSE 8080 8765
ENTRYPOINT ["/usr/local/bin/rosteron"]
CMD ["mock", "--addr", "0.0.0.0:8080"]
