# kubeward's container image: a static binary on a distroless base, no
# shell, running as a non-root user; the Helm chart (deploy/helm/kubeward)
# runs it with a read-only root file system. Build it with:
#
#   docker build -t kubeward/kubeward:0.1.0 .
#
# (the chart's default image; push it to your registry and pin its digest).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
COPY internal/ internal/
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags='-s -w' -o /out/kubeward ./cmd/kubeward

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kubeward /usr/local/bin/kubeward
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubeward"]
