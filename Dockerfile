# kubeward's container image: a static binary on a distroless base, no
# shell, running as a non-root user; the Helm chart (deploy/helm/kubeward)
# runs it with a read-only root file system. Build it with:
#
#   docker build -t kubeward/kubeward:0.1.0 .
#
# (the chart's default image; push it to your registry and pin its digest).
# Without a Docker engine, Debian's buildah builds it the same way:
#
#   buildah bud --isolation chroot -t kubeward/kubeward:0.1.0 .
#
# The base images are build arguments, fully qualified (buildah resolves no
# short names), so that a mirror (or the test that builds this file without
# the internet, internal/cli/dockerfile_test.go) can stand in for them;
# GOPROXY likewise (off: only the module cache).
ARG GO_IMAGE=docker.io/library/golang:1.26
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
ARG GOPROXY
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
WORKDIR /src
COPY go.mod go.sum ./
# Exec form: the build stage needs no shell either.
RUN ["go", "mod", "download"]
COPY cmd/ cmd/
COPY internal/ internal/
# The tag keeps kustomize's Go plugin loader, which kubeward never enables,
# out of the binary: 40 MB less (docs/PERFORMANCE.md).
RUN ["go", "build", "-tags", "kustomize_disable_go_plugin_support", "-trimpath", "-ldflags=-s -w", "-o", "/out/kubeward", "./cmd/kubeward"]

FROM ${BASE_IMAGE}
COPY --from=build /out/kubeward /usr/local/bin/kubeward
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubeward"]
