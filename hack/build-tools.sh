#!/usr/bin/env bash
# Builds every pinned tool binary into ./bin from the Go module proxy, skipping those already built.
# Nothing here downloads a prebuilt binary: the control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler, etcd, kubectl) and helm
# compile from source, which takes ~11 minutes cold on 2 cores and seconds with a warm Go build cache.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/bin"
K8S_VERSION="v1.37.2"
mkdir -p "$BIN/k8s"
export CGO_ENABLED=0

# build NAME OUTPUT MODULE_DIR PACKAGE [LDFLAGS]
build() {
	local name="$1" out="$2" moddir="$3" pkg="$4" ldflags="${5:-}"
	if [[ -x "$out" ]]; then
		echo "tools: $name already built ($out)"
		return
	fi
	echo "tools: building $name from $pkg (this can take minutes on a cold cache)..."
	local start=$SECONDS
	(cd "$moddir" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg")
	mv "$out.tmp" "$out"
	echo "tools: built $name in $((SECONDS - start))s"
}

VERSION_PKG="k8s.io/component-base/version"
K8S_LDFLAGS="-s -w -X $VERSION_PKG.gitVersion=$K8S_VERSION -X $VERSION_PKG.gitMajor=1 -X $VERSION_PKG.gitMinor=37"

want="${*:-controller-gen golangci-lint etcd kube-apiserver kube-controller-manager kube-scheduler kubectl helm}"
for tool in $want; do
	case "$tool" in
	controller-gen) build controller-gen "$BIN/controller-gen" "$ROOT/hack/tools/dev" sigs.k8s.io/controller-tools/cmd/controller-gen ;;
	golangci-lint) build golangci-lint "$BIN/golangci-lint" "$ROOT/hack/tools/dev" github.com/golangci/golangci-lint/v2/cmd/golangci-lint ;;
	etcd) build etcd "$BIN/k8s/etcd" "$ROOT/hack/tools/k8s" go.etcd.io/etcd/server/v3 "-s -w" ;;
	kube-apiserver) build kube-apiserver "$BIN/k8s/kube-apiserver" "$ROOT/hack/tools/k8s" k8s.io/kubernetes/cmd/kube-apiserver "$K8S_LDFLAGS" ;;
	kube-controller-manager) build kube-controller-manager "$BIN/k8s/kube-controller-manager" "$ROOT/hack/tools/k8s" k8s.io/kubernetes/cmd/kube-controller-manager "$K8S_LDFLAGS" ;;
	kube-scheduler) build kube-scheduler "$BIN/k8s/kube-scheduler" "$ROOT/hack/tools/k8s" k8s.io/kubernetes/cmd/kube-scheduler "$K8S_LDFLAGS" ;;
	kubectl) build kubectl "$BIN/k8s/kubectl" "$ROOT/hack/tools/k8s" k8s.io/kubernetes/cmd/kubectl "$K8S_LDFLAGS" ;;
	helm) build helm "$BIN/helm" "$ROOT/hack/tools/k8s" helm.sh/helm/v3/cmd/helm "-s -w" ;;
	# Not in the default list: only releases need them (make release-tools builds them).
	goreleaser) build goreleaser "$BIN/goreleaser" "$ROOT/hack/tools/release" github.com/goreleaser/goreleaser/v2 "-s -w" ;;
	krew) build krew "$BIN/krew" "$ROOT/hack/tools/krew" sigs.k8s.io/krew/cmd/krew "-s -w" ;;
	validate-krew-manifest) build validate-krew-manifest "$BIN/validate-krew-manifest" "$ROOT/hack/tools/krew" sigs.k8s.io/krew/cmd/validate-krew-manifest "-s -w" ;;
	*) echo "tools: unknown tool $tool" >&2; exit 2 ;;
	esac
done
