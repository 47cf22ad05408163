# managed-agents-operator. `make help` lists the targets.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

BIN            := $(CURDIR)/bin
CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT  := $(BIN)/golangci-lint
GORELEASER     := $(BIN)/goreleaser

# The release version: VERSION is the one place it is written (the chart repeats it, make verify checks
# that; goreleaser stamps it into the binaries). `make set-version VERSION=x.y.z` changes it everywhere.
VERSION := $(shell cat VERSION)
# The operator image; its tag is also the chart's default (appVersion).
IMG     ?= ghcr.io/anthropics/managed-agents-operator:$(VERSION)
# goreleaser reads the commit only where `git ls-remote --get-url` answers; a clone without a remote gets
# the project's URL through git's environment (the repository's own configuration is left alone).
SNAPSHOT_GIT_ENV := GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url \
	GIT_CONFIG_VALUE_0=https://github.com/anthropics/managed-agents-operator.git
export KUBEBUILDER_ASSETS ?= $(BIN)/k8s

# Files that `make generate manifests` owns; `make verify` fails when they are stale.
GENERATED := api/v1alpha1/zz_generated.deepcopy.go config/crd/bases config/rbac/role.yaml \
	charts/managed-agents-operator/crds charts/managed-agents-operator/templates/_rules.tpl docs/crd-reference.md
CHART     := charts/managed-agents-operator

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Build pinned tools (controller-gen, golangci-lint, etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, helm) into ./bin.
	@hack/build-tools.sh

.PHONY: generate
generate: ## Generate deepcopy code.
	@hack/build-tools.sh controller-gen
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: ## Generate CRDs and RBAC from the kubebuilder markers, then the chart's CRDs and RBAC rules and docs/crd-reference.md.
	@hack/build-tools.sh controller-gen
	$(CONTROLLER_GEN) crd rbac:roleName=manager-role paths=./... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	go run ./hack/syncchart
	go run ./hack/crdref

.PHONY: verify
verify: generate manifests ## Fail when generated files are stale, go.mod is untidy or the chart's version is not VERSION.
	@go mod tidy -diff >/dev/null || { echo "verify: go.mod is not tidy; run 'go mod tidy'"; exit 1; }
	@go run ./hack/version -check
	@go run ./hack/spdx
	@if ! git diff --quiet -- $(GENERATED) || [[ -n "$$(git status --porcelain --untracked-files=all -- $(GENERATED))" ]]; then \
		echo "verify: generated files are stale; run 'make generate manifests' and commit:"; \
		git status --porcelain -- $(GENERATED); git --no-pager diff --stat -- $(GENERATED); exit 1; fi
	@echo "verify: generated files are current"

.PHONY: spdx
spdx: ## Add the SPDX license header to every Go file and shell script that lacks it (make verify checks it).
	go run ./hack/spdx -fix

.PHONY: lint
lint: ## Run golangci-lint with the checked-in configuration.
	@hack/build-tools.sh golangci-lint
	$(GOLANGCI_LINT) run --allow-parallel-runners ./...

.PHONY: test
test: tools verify lint test-go test-observability test-release fuzz-short ## Everything CI runs: tools, verify, lint, all tests on a real API server, a plugin-only release snapshot, a short fuzz run.

.PHONY: test-go
test-go: ## Run the Go tests (race detector on) against the control plane in ./bin/k8s.
	go vet ./...
	go test -race -count=1 -timeout 20m ./...

# The fuzzers as PACKAGE:FuzzName. Their seed corpora are checked in under each package's testdata/fuzz.
FUZZ_TARGETS   := ./internal/sessionevents:FuzzDecodeAndFold ./internal/sessionstatus:FuzzStatusStaysSmall \
	./internal/managedagents:FuzzAgentRoundTrip ./internal/managedagents:FuzzEventStream
FUZZTIME       ?= 3m
FUZZTIME_SHORT ?= 10s

.PHONY: fuzz
fuzz: ## Run each fuzzer for FUZZTIME (3m); a failing input is written to its testdata/fuzz.
	@for target in $(FUZZ_TARGETS); do \
		pkg="$${target%%:*}"; name="$${target##*:}"; \
		echo "fuzz: $$name ($$pkg) for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" || exit 1; \
	done

.PHONY: fuzz-short
fuzz-short: ## Run each fuzzer for FUZZTIME_SHORT (10s), as make test does.
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_SHORT)

.PHONY: test-chaos
test-chaos: ## The full chaos suite (CHAOS_FULL=1): 50 long Sessions under kills, faults, leader failover and an API server outage.
	@hack/build-tools.sh etcd kube-apiserver
	CHAOS_FULL=1 go test -count=1 -timeout 60m -v ./test/chaos/

.PHONY: test-observability
test-observability: ## Check the chart's alert rules and dashboard queries with Prometheus's own parsers.
	cd hack/observability && go test -count=1 ./...

.PHONY: dashboard
dashboard: ## Render docs/img/dashboard.png from a metrics capture (see docs/observability.md).
	cd hack/observability && go run ./cmd/render -in ../../docs/img/metrics-capture.txt.gz -sandbox-in ../../docs/img/sandbox-capture.txt.gz -out ../../docs/img/dashboard.png

.PHONY: build
build: ## Build the manager, simulator, sandbox runner and kubectl plugin into ./bin.
	go build -o $(BIN)/manager ./cmd/manager
	go build -o $(BIN)/simulator ./cmd/simulator
	CGO_ENABLED=0 go build -o $(BIN)/sandbox-runner ./cmd/sandbox-runner
	go build -o $(BIN)/kubectl-claude ./cmd/kubectl-claude

.PHONY: release-tools
release-tools: ## Build goreleaser, krew and validate-krew-manifest into ./bin (not part of make tools).
	@hack/build-tools.sh goreleaser krew validate-krew-manifest

.PHONY: release-snapshot
release-snapshot: release-tools ## Every release archive, checksums.txt and the krew manifest, offline into dist/, then verified.
	$(SNAPSHOT_GIT_ENV) $(GORELEASER) release --snapshot --clean
	cd hack/release && go run . -dist ../../dist

.PHONY: test-release
test-release: release-tools ## What CI runs of the release: a plugin-only snapshot, its archives, checksums and krew manifest checked.
	cd hack/release && go vet ./... && go test -count=1 -timeout 30m ./...

.PHONY: release
release: release-snapshot ## Publish the release of the tag at HEAD to GitHub (GITHUB_TOKEN; docs/releasing.md), then verify dist/.
	$(GORELEASER) release --clean
	cd hack/release && go run . -dist ../../dist

.PHONY: set-version
set-version: ## Write VERSION=x.y.z into VERSION and the chart (version, appVersion: the default image tag).
	go run ./hack/version -set $(VERSION)

.PHONY: image
image: ## Build and push the operator image for linux/amd64 and linux/arm64 as IMG (tagged VERSION by default).
	docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=$(VERSION) -t $(IMG) --push .

.PHONY: chart
chart: ## Package the Helm chart into dist/chart/managed-agents-operator-VERSION.tgz.
	@hack/build-tools.sh helm
	$(BIN)/helm package $(CHART) --destination dist/chart

.PHONY: bench
bench: ## Benchmarks (control plane, simulator, manager, load driver): prints the table, writes bench/results/latest.{md,json}.
	@hack/build-tools.sh etcd kube-apiserver
	go run ./bench/cmd/benchdriver $(BENCH_FLAGS)

.PHONY: bench-smoke
bench-smoke: ## A small, quick run of every benchmark scenario (not part of make test); writes bench/results/smoke/.
	@hack/build-tools.sh etcd kube-apiserver
	go run ./bench/cmd/benchdriver -smoke $(BENCH_FLAGS)

.PHONY: run-simulator
run-simulator: ## Run the Managed Agents simulator on 127.0.0.1:8765.
	go run ./cmd/simulator

.PHONY: helm-lint
helm-lint: ## Lint the Helm chart (the e2e tests also lint and render it with several value sets).
	@hack/build-tools.sh helm
	$(BIN)/helm lint --strict $(CHART)

.PHONY: demo
demo: ## Local playground: control plane, simulator (or the real API with ANTHROPIC_API_KEY), operator, a sample conversation.
	@hack/demo.sh up

.PHONY: demo-down
demo-down: ## Stop every process `make demo` started and remove .demo/.
	@hack/demo.sh down
