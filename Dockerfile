# syntax=docker/dockerfile:1
# The operator's image: the manager binary on distroless/static, running as the nonroot user
# (65532) that the Helm chart's securityContext expects, and the static sandbox runner, which a
# sandbox Pod's init container copies out of this image (sandbox-runner install PATH). Build it
# for several platforms with
#   make image IMG=REGISTRY/managed-agents-operator:$(cat VERSION)
# which runs docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=... -t IMG --push .

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
# The release version (the VERSION file; `make image` passes it), reported by `manager --version` and its start-up log.
ARG VERSION=dev
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w -X github.com/anthropics/managed-agents-operator/internal/version.Version=${VERSION}" \
      -o /out/manager ./cmd/manager && \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w -X github.com/anthropics/managed-agents-operator/internal/version.Version=${VERSION}" \
      -o /out/sandbox-runner ./cmd/sandbox-runner

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="managed-agents-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.description="Kubernetes operator for Claude Managed Agents" \
      org.opencontainers.image.source="https://github.com/anthropics/managed-agents-operator"
COPY --from=build /out/manager /manager
COPY --from=build /out/sandbox-runner /sandbox-runner
USER 65532:65532
ENTRYPOINT ["/manager"]
