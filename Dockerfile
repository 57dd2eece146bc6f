# holostream image: `docker build -t holostream .` (not built in CI: no Docker engine there).
# The build stage runs the same `make setup` and `make build` as a developer machine.
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN apt-get update && make build && rm -rf /var/lib/apt/lists/*

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/holostream
# bin/holostream finds .deps/lib through its rpath ($ORIGIN/../.deps/lib) and .deps/models beside it.
COPY --from=build /src/bin/holostream bin/holostream
COPY --from=build /src/.deps/lib .deps/lib
COPY --from=build /src/.deps/models .deps/models
USER 65534
ENTRYPOINT ["/opt/holostream/bin/holostream"]
CMD ["run"]
