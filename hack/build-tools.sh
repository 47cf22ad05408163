#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds every pinned tool binary into ./bin, skipping those already there.
#
# The control plane's etcd, kube-apiserver and kubectl come first from the official prebuilt envtest
# archive for K8S_VERSION, the one `setup-envtest use` downloads: hack/fetchenvtest reads
# controller-tools' envtest release index, checks the archive against the index's sha512 and the
# kube-apiserver's reported version. That takes seconds where the network allows. When it fails (no
# network, no archive for this version or platform, a checksum mismatch; the attempt gives up within
# seconds when nothing answers) they build from the Go module proxy like every other tool here:
# about 11 minutes cold on 2 cores, seconds with a warm Go build cache. kube-controller-manager,
# kube-scheduler, helm and the developer tools always build from source (envtest archives hold
# only those three).
#
# Environment:
#   TOOLS_BIN           where the binaries go (default: ./bin; the control plane goes to its k8s/)
#   ENVTEST_DOWNLOAD=0  skip the prebuilt envtest binaries and build everything from source
#   ENVTEST_INDEX_URL   the envtest release index (default: the one setup-envtest reads)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${TOOLS_BIN:-$ROOT/bin}"
K8S_VERSION="v1.37.2"
ENVTEST_INDEX_URL="${ENVTEST_INDEX_URL:-https://raw.githubusercontent.com/kubernetes-sigs/controller-tools/HEAD/envtest-releases.yaml}"
ENVTEST_BINARIES="etcd kube-apiserver kubectl"
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
	if [[ " $ENVTEST_BINARIES " == *" $name "* ]]; then
		control_plane_built+=("$name")
		control_plane_seconds=$((control_plane_seconds + SECONDS - start))
	fi
}

# fetch_envtest installs the prebuilt etcd, kube-apiserver and kubectl when one of them is wanted and
# missing, and says which path the control plane took. On failure the build loop builds them.
control_plane=""
control_plane_built=()
control_plane_seconds=0
fetch_envtest() {
	local missing=() tool
	for tool in $want; do
		if [[ " $ENVTEST_BINARIES " == *" $tool "* && ! -x "$BIN/k8s/$tool" ]]; then
			missing+=("$tool")
		fi
	done
	if ((${#missing[@]} == 0)); then
		return
	fi
	if [[ "${ENVTEST_DOWNLOAD:-1}" == 0 ]]; then
		control_plane="built from source (ENVTEST_DOWNLOAD=0)"
		return
	fi
	echo "tools: trying the prebuilt envtest $K8S_VERSION binaries for ${missing[*]}..."
	local start=$SECONDS
	if (cd "$ROOT" && go run ./hack/fetchenvtest -version "$K8S_VERSION" -dir "$BIN/k8s" -index "$ENVTEST_INDEX_URL"); then
		control_plane="prebuilt envtest $K8S_VERSION binaries, downloaded and verified in $((SECONDS - start))s"
	else
		echo "tools: no prebuilt envtest binaries (see above) after $((SECONDS - start))s; building ${missing[*]} from source"
		control_plane="built from source; the prebuilt download was given up after $((SECONDS - start))s"
	fi
}

VERSION_PKG="k8s.io/component-base/version"
K8S_LDFLAGS="-s -w -X $VERSION_PKG.gitVersion=$K8S_VERSION -X $VERSION_PKG.gitMajor=1 -X $VERSION_PKG.gitMinor=37"

want="${*:-controller-gen golangci-lint etcd kube-apiserver kube-controller-manager kube-scheduler kubectl helm}"
fetch_envtest
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

if [[ -n "$control_plane" ]]; then
	if ((${#control_plane_built[@]} > 0)); then
		control_plane+="; built ${control_plane_built[*]} in ${control_plane_seconds}s"
	fi
	echo "tools: control plane ($ENVTEST_BINARIES): $control_plane"
fi
