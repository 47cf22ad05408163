// Module release checks what goreleaser produces (make test-release, make release-snapshot): the
// archives, checksums.txt and the generated krew manifest. It is a module of its own so that
// `go test ./...` at the root, which runs under the race detector beside the control-plane suites,
// does not also cross-compile the plugin; make test runs it as a separate step.
module github.com/anthropics/managed-agents-operator/hack/release

go 1.26.0

require sigs.k8s.io/yaml v1.6.0

require go.yaml.in/yaml/v2 v2.4.2 // indirect
