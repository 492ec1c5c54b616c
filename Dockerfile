# The rosteron CLI in a small image; docker-compose runs it as the mock
# RosterOn server. Chrome is not in this image: the compose `chrome` service
# provides it over DevTools (ROSTERON_BROWSER=ws://chrome:9222).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/rosteron ./cmd/rosteron

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rosteron /usr/local/bin/rosteron
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/rosteron"]
CMD ["mock", "--addr", "0.0.0.0:8080"]
