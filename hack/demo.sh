#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The local playground behind `make demo` and `make demo-down`.
#
#   hack/demo.sh up     build what is missing, start etcd + kube-apiserver on 127.0.0.1, install the
#                       CRDs, start kube-controller-manager, kube-scheduler and a process node (Pods
#                       run as local processes: test/processnode, a stand-in for the kubelet), start
#                       the simulator (or use the real API when ANTHROPIC_API_KEY is set), run the
#                       manager, apply config/samples and print the sample conversation, then (with
#                       the simulator) apply config/samples/self-hosted: a Session whose bash command
#                       runs in a sandbox Pod on the process node, and print what it printed
#   hack/demo.sh down   stop every process the demo started and remove .demo/
#   hack/demo.sh status show which demo processes are running
#
# All state lives in .demo/ (gitignored): logs, pid files, the etcd data, keys and the kubeconfig.
# Running `up` again stops an earlier demo and starts a fresh one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="$ROOT/.demo"
BIN="$ROOT/bin"
KUBECTL="$BIN/k8s/kubectl"
KUBECONFIG_PATH="$DEMO/kubeconfig"
# Processes in the order they start; `down` stops them in reverse.
PROCESSES=(etcd kube-apiserver kube-controller-manager kube-scheduler process-node simulator manager)
# How long the sample Session may take to finish its first turn.
TURN_TIMEOUT="${DEMO_TURN_TIMEOUT:-}"
# The "image" sandbox Pods copy the sandbox runner out of: the process node maps it to
# bin/sandbox-image/, where build() puts the runner (a real cluster pulls the operator's image).
RUNNER_IMAGE="managed-agents-operator:demo"
RUNNER_IMAGE_DIR="$BIN/sandbox-image"
# The simulator's environment key for the self-hosted sample; start_api sets it.
ENVIRONMENT_KEY=""

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf 'demo: %s\n(make demo-down stops whatever was started)\n' "$*" >&2; exit 1; }

# kc runs the built kubectl (not whatever kubectl is on PATH) against the demo control plane.
kc() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# started PID: when process PID started (clock ticks since boot from /proc, else the time ps reports);
# nothing when it has exited (a zombie has too), "unknown" when neither /proc nor ps can tell. A start
# time is set at fork and survives exec, so it names one process for its whole life: the same before
# the child execs its program (its command line is still this script's shell then) and after, and
# never a later process that reuses the pid.
started() {
	local stat fields state rest
	if [[ -r /proc/self/stat ]]; then
		stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
		read -r -a fields <<<"${stat##*) }" # the fields after "pid (command) ", from the state on
		[[ "${fields[0]}" == Z ]] || echo "${fields[19]}"
	elif command -v ps >/dev/null; then
		read -r state rest < <(ps -p "$1" -o stat=,lstart= 2>/dev/null) || return 0
		[[ "$state" == Z* ]] || echo "$rest"
	else
		echo unknown
	fi
}

# running NAME: the process that `start` launched as NAME has not exited. It may not have exec'd its
# program yet, which on a loaded machine can take a while after the fork.
running() {
	local pidfile="$DEMO/$1.pid" pid="" recorded="" now
	[[ -f "$pidfile" ]] || return 1
	{ read -r pid || true; read -r recorded || true; } <"$pidfile"
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
	now="$(started "$pid")"
	[[ -n "$now" ]] || return 1
	[[ -z "$recorded" || "$now" == unknown || "$now" == "$recorded" ]]
}

# ours NAME: NAME is running and is certainly the process `start` launched, so it is safe to signal.
# The start time recorded by `start` proves it; a pid file without one (from an older demo.sh, or where
# nothing reports start times) falls back to the command line, which names a program in bin/ once the
# process has exec'd. Without either, a pid reused by an unrelated program would be killed.
ours() {
	running "$1" || return 1
	local pid recorded
	{ read -r pid; read -r recorded || true; } <"$DEMO/$1.pid"
	[[ -n "$recorded" && "$recorded" != unknown ]] && return 0
	command -v ps >/dev/null || return 0 # without ps, trust the pid file
	ps -p "$pid" -o command= 2>/dev/null | grep -qF -- "$BIN/"
}

# stop NAME: SIGTERM, wait up to 15 s, then SIGKILL.
stop() {
	local name="$1" pid i
	if ours "$name"; then
		pid="$(head -n 1 "$DEMO/$name.pid")"
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 150; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			info "$name did not stop in 15s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		info "stopped $name (pid $pid)"
	fi
	rm -f "$DEMO/$name.pid"
}

# start NAME COMMAND...: run a program in the background, logging to .demo/NAME.log. A background job
# of a non-interactive shell ignores SIGINT, and nohup makes it ignore SIGHUP, so the process outlives
# this script and the terminal's Ctrl-C. .demo/NAME.pid holds the pid and its start time; the start
# time is read right after the fork, so a program that has already exited gets one that matches nothing.
start() {
	local name="$1" pid since
	shift
	nohup "$@" >"$DEMO/$name.log" 2>&1 </dev/null &
	pid=$!
	since="$(started "$pid")"
	printf '%s\n%s\n' "$pid" "${since:-exited}" >"$DEMO/$name.pid"
	info "started $name (pid $pid, log .demo/$name.log)"
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port PREFERRED: the first free port from PREFERRED upwards.
free_port() {
	local p
	for ((p = $1; p < $1 + 100; p++)); do
		if port_free "$p"; then
			echo "$p"
			return
		fi
	done
	die "no free port in $1..$(($1 + 99))"
}

# wait_for NAME SECONDS COMMAND...: retry COMMAND every half second until it succeeds; give up early
# when the process NAME has exited.
wait_for() {
	local name="$1" secs="$2" i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if ! running "$name"; then
			info "$name exited"
			return 1
		fi
		sleep 0.5
	done
	return 1
}

# http_ok URL: the URL answers 200 (curl when available, else a raw HTTP request through bash).
http_ok() {
	if command -v curl >/dev/null; then
		curl -fsS -o /dev/null --max-time 2 "$1"
		return
	fi
	local hostport="${1#http://}" path
	path="/${hostport#*/}"
	hostport="${hostport%%/*}"
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}" || return 1
	printf 'GET %s HTTP/1.0\r\n\r\n' "$path" >&3
	head -n1 <&3 | grep -q ' 200 '
}

down() {
	if [[ ! -d "$DEMO" ]]; then
		say "No demo to stop (.demo/ does not exist)"
		return
	fi
	say "Stopping the demo"
	local i
	for ((i = ${#PROCESSES[@]} - 1; i >= 0; i--)); do
		stop "${PROCESSES[$i]}"
	done
	rm -rf "$DEMO"
	info "removed .demo/"
}

status() {
	local name
	for name in "${PROCESSES[@]}"; do
		if ours "$name"; then
			echo "$name: running (pid $(head -n 1 "$DEMO/$name.pid"))"
		else
			echo "$name: not running"
		fi
	done
}

build() {
	say "Building what is missing (the first run compiles Kubernetes from source: ~10 minutes on 2 cores)"
	"$ROOT/hack/build-tools.sh" etcd kube-apiserver kube-controller-manager kube-scheduler kubectl | sed 's/^/    /'
	local pkg
	for pkg in manager simulator; do
		info "go build ./cmd/$pkg"
		(cd "$ROOT" && go build -o "$BIN/$pkg" "./cmd/$pkg")
	done
	info "go build ./cmd/sandbox-runner (the sandbox Pods' runner, in $RUNNER_IMAGE_DIR)"
	(cd "$ROOT" && go build -o "$RUNNER_IMAGE_DIR/sandbox-runner" ./cmd/sandbox-runner)
	info "go build ./test/processnode/cmd/process-node"
	(cd "$ROOT" && go build -o "$BIN/process-node" ./test/processnode/cmd/process-node)
	# The kubectl plugin is optional for the demo: a failed build only costs `kubectl claude`.
	if compgen -G "$ROOT/cmd/kubectl-claude/*.go" >/dev/null; then
		info "go build ./cmd/kubectl-claude"
		(cd "$ROOT" && go build -o "$BIN/kubectl-claude" ./cmd/kubectl-claude) || info "(the kubectl-claude plugin did not build; continuing without it)"
	fi
	(cd "$ROOT" && go build -o "$BIN/demopki" ./hack/demopki)
}

start_control_plane() {
	local etcd_port peer_port api_port
	etcd_port="$(free_port 12379)"
	peer_port="$(free_port $((etcd_port + 1)))"
	api_port="$(free_port 16443)"
	say "Starting etcd on 127.0.0.1:$etcd_port and kube-apiserver on 127.0.0.1:$api_port"
	"$BIN/demopki" -dir "$DEMO/pki" -server "https://127.0.0.1:$api_port" -kubeconfig "$KUBECONFIG_PATH"
	start etcd "$BIN/k8s/etcd" --name demo --data-dir "$DEMO/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "demo=http://127.0.0.1:$peer_port" --unsafe-no-fsync
	start kube-apiserver "$BIN/k8s/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --secure-port "$api_port" --endpoint-reconciler-type none \
		--tls-cert-file "$DEMO/pki/apiserver.crt" --tls-private-key-file "$DEMO/pki/apiserver.key" \
		--token-auth-file "$DEMO/pki/tokens.csv" --authorization-mode RBAC \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$DEMO/pki/sa.pub" --service-account-signing-key-file "$DEMO/pki/sa.key" \
		--service-cluster-ip-range 10.96.0.0/16 --cert-dir "$DEMO/pki"
	if ! wait_for "kube-apiserver" 90 kc get --raw /readyz; then
		tail -n 30 "$DEMO/kube-apiserver.log" >&2
		die "kube-apiserver did not become ready (log above, full log in .demo/kube-apiserver.log)"
	fi
	info "kube-apiserver is ready; kubeconfig: .demo/kubeconfig"

	say "Installing the CRDs"
	kc apply --server-side -f "$ROOT/config/crd/bases" | sed 's/^/    /'
	kc wait --for condition=Established --timeout=60s crd/agents.claude.anthropic.com \
		crd/environments.claude.anthropic.com crd/sessions.claude.anthropic.com | sed 's/^/    /'
}

# start_pod_runtime starts what makes Pods run here: kube-controller-manager (namespace deletion,
# garbage collection, each namespace's default ServiceAccount and kube-root-ca.crt ConfigMap),
# kube-scheduler, and a process node: a stand-in for the kubelet that runs each container as a local
# process of this machine, without any isolation (test/processnode explains what it does and does not).
start_pod_runtime() {
	local kcm_port scheduler_port
	kcm_port="$(free_port 10257)"
	scheduler_port="$(free_port $((kcm_port + 1)))"
	say "Starting kube-controller-manager, kube-scheduler and a process node (Pods run as local processes)"
	start kube-controller-manager "$BIN/k8s/kube-controller-manager" --kubeconfig "$KUBECONFIG_PATH" \
		--controllers namespace,garbagecollector,serviceaccount,root-ca-cert-publisher --root-ca-file "$DEMO/pki/ca.crt" \
		--leader-elect=false --use-service-account-credentials=false --bind-address 127.0.0.1 --secure-port "$kcm_port"
	start kube-scheduler "$BIN/k8s/kube-scheduler" --kubeconfig "$KUBECONFIG_PATH" \
		--leader-elect=false --bind-address 127.0.0.1 --secure-port "$scheduler_port"
	start process-node "$BIN/process-node" --kubeconfig "$KUBECONFIG_PATH" --name demo-node --root-dir "$DEMO/node" \
		--image-root "$RUNNER_IMAGE=$RUNNER_IMAGE_DIR" --zap-encoder console
	if ! wait_for "process-node" 60 kc wait --for=condition=Ready node/demo-node --timeout=1s; then
		tail -n 30 "$DEMO/process-node.log" >&2
		die "the process node did not become Ready (log above, full log in .demo/process-node.log)"
	fi
	if ! wait_for "kube-controller-manager" 60 kc get serviceaccount default -n default; then
		tail -n 30 "$DEMO/kube-controller-manager.log" >&2
		die "kube-controller-manager did not create the default ServiceAccount (log in .demo/kube-controller-manager.log)"
	fi
	if ! wait_for "kube-scheduler" 60 grep -q "Serving securely" "$DEMO/kube-scheduler.log"; then
		tail -n 30 "$DEMO/kube-scheduler.log" >&2
		die "kube-scheduler did not start (log in .demo/kube-scheduler.log)"
	fi
	info "Pods run on node demo-node as local processes (their files and logs are in .demo/node)"
}

# start_api starts the simulator, or picks the real API when ANTHROPIC_API_KEY is set. It sets
# API_KEY and API_BASE_URL for the manager, and ENVIRONMENT_KEY (the simulator only) for the
# self-hosted sample.
start_api() {
	if [[ -n "${ANTHROPIC_API_KEY:-}" ]]; then
		say "Using the real Managed Agents API (ANTHROPIC_API_KEY is set)"
		API_KEY="$ANTHROPIC_API_KEY"
		API_BASE_URL="${ANTHROPIC_BASE_URL:-}"
		TURN_TIMEOUT="${TURN_TIMEOUT:-600}"
		ENVIRONMENT_KEY=""
		return
	fi
	local port
	port="$(free_port 18765)"
	say "Starting the Managed Agents API simulator on 127.0.0.1:$port (set ANTHROPIC_API_KEY to use the real API)"
	# A random key for this demo only: the simulator accepts nothing else, which proves that the
	# operator reads it from the Secret.
	API_KEY="sk-demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	# The environment key the self-hosted sample's sandboxes are claimed with; it reaches the
	# simulator on its command line (a local demo only) and the cluster in a Secret.
	ENVIRONMENT_KEY="simenvkey_demo_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	API_BASE_URL="http://127.0.0.1:$port"
	TURN_TIMEOUT="${TURN_TIMEOUT:-120}"
	start simulator "$BIN/simulator" --addr "127.0.0.1:$port" --api-key "$API_KEY" --environment-key "$ENVIRONMENT_KEY" --step-delay 100ms
	if ! wait_for "simulator" 30 grep -q "listening on" "$DEMO/simulator.log"; then
		cat "$DEMO/simulator.log" >&2
		die "the simulator did not start"
	fi
}

start_manager() {
	say "Storing the API key in Secret claude-system/claude-api-key"
	kc create namespace claude-system --dry-run=client -o yaml | kc apply -f - >/dev/null
	# The key reaches kubectl on stdin, never on a command line.
	printf '%s' "$API_KEY" | kc -n claude-system create secret generic claude-api-key --from-file=api-key=/dev/stdin \
		--dry-run=client -o yaml | kc apply -f - | sed 's/^/    /'

	local metrics_port probe_port
	metrics_port="$(free_port 18080)"
	probe_port="$(free_port $((metrics_port + 1)))"
	say "Starting the manager (metrics on 127.0.0.1:$metrics_port)"
	local args=(--kubeconfig "$KUBECONFIG_PATH" --api-key-secret claude-system/claude-api-key
		--metrics-bind-address "127.0.0.1:$metrics_port" --health-probe-bind-address "127.0.0.1:$probe_port"
		--zap-encoder console --resync-period 1m --sandbox-runner-image "$RUNNER_IMAGE")
	if [[ -n "$API_BASE_URL" ]]; then
		args+=(--api-base-url "$API_BASE_URL")
		if [[ "$API_BASE_URL" == http://* ]]; then args+=(--allow-insecure-api-url); fi # the local simulator
	fi
	start manager env -u ANTHROPIC_API_KEY "$BIN/manager" "${args[@]}"
	if ! wait_for "manager" 60 http_ok "http://127.0.0.1:$probe_port/readyz"; then
		tail -n 30 "$DEMO/manager.log" >&2
		die "the manager did not become ready (log above, full log in .demo/manager.log)"
	fi
	info "manager is ready"
	echo "$metrics_port" >"$DEMO/metrics-port"
}

run_sample() {
	say "Applying config/samples (Agent coder, Environment python-dev, Session hello)"
	kc apply -n default -f "$ROOT/config/samples" | sed 's/^/    /'
	say "Waiting for the Session's turn to end (kubectl wait --for=condition=TurnComplete session/hello)"
	if ! kc wait -n default --for=condition=TurnComplete session/hello --timeout="${TURN_TIMEOUT}s" | sed 's/^/    /'; then
		kc get claude -n default >&2 || true
		kc describe session hello -n default >&2 || true
		die "the sample Session did not finish its turn in ${TURN_TIMEOUT}s; see .demo/manager.log"
	fi
	echo
	kc get claude -n default
	echo
	print_conversation
}

# run_self_hosted_sample applies config/samples/self-hosted: a SelfHosted Environment whose tools run
# in sandbox Pods (here on the process node), and a Session whose bash command runs in one. It needs
# the simulator, whose environment key the demo knows; the real API issues a key per environment.
run_self_hosted_sample() {
	if [[ -z "$ENVIRONMENT_KEY" ]]; then
		say "Skipping the self-hosted sample: with the real API, put your environment's key in Secret sandbox-environment-key and apply config/samples/self-hosted (docs/self-hosted.md)"
		return
	fi
	say "Applying config/samples/self-hosted (Agent sandbox-coder, SelfHosted Environment sandbox, Session hello-sandbox)"
	printf '%s' "$ENVIRONMENT_KEY" | kc -n default create secret generic sandbox-environment-key --from-file=environment-key=/dev/stdin \
		--dry-run=client -o yaml | kc apply -f - | sed 's/^/    /'
	kc apply -n default -f "$ROOT/config/samples/self-hosted" | sed 's/^/    /'
	say "Waiting for the agent's command to run in its sandbox Pod (kubectl wait --for=condition=TurnComplete session/hello-sandbox)"
	if ! kc wait -n default --for=condition=TurnComplete session/hello-sandbox --timeout="${TURN_TIMEOUT}s" | sed 's/^/    /'; then
		kc get pods -n default -l app.kubernetes.io/component=claude-sandbox -o wide >&2 || true
		kc describe session hello-sandbox -n default >&2 || true
		die "the self-hosted Session did not finish its turn in ${TURN_TIMEOUT}s; see .demo/manager.log and .demo/process-node.log"
	fi
	echo
	print_conversation hello-sandbox
	print_sandbox_result
}

# print_sandbox_result says which sandbox Pod ran the self-hosted sample's command, and prints the
# agent's messages in full (the Events above show their first lines only): the agent quotes what the
# command printed there.
print_sandbox_result() {
	local pod node answer
	local messages='{{range .status.recentEvents}}{{if eq .reason "AgentMessage"}}{{.summary}}{{"\n"}}{{end}}{{end}}'
	pod="$(kc get session hello-sandbox -n default -o jsonpath='{.status.sandbox.podName}')"
	node="$(kc get session hello-sandbox -n default -o jsonpath='{.status.sandbox.nodeName}')"
	answer="$(kc get session hello-sandbox -n default -o go-template="$messages")"
	if [[ -z "$pod" ]]; then
		die "session hello-sandbox finished without a sandbox Pod (status.sandbox is empty); see .demo/manager.log"
	fi
	say "The command ran in sandbox Pod $pod on node ${node:-<none>}; the agent answered:"
	printf '%s\n' "$answer" | cat -s | sed 's/^/    /'
}

# print_conversation SESSION prints the Session's Kubernetes Events in the stream's order (the
# claude.anthropic.com/sequence annotation), one line per event.
print_conversation() {
	local session="${1:-hello}"
	say "The conversation (Kubernetes Events of session/$session, in stream order)"
	local template='{{range .items}}{{with .metadata.annotations}}{{with index . "claude.anthropic.com/sequence"}}{{.}}{{"\t"}}{{end}}{{end}}{{.reason}}{{"\t"}}{{.message}}{{"\n"}}{{end}}'
	kc get events -n default --field-selector "involvedObject.kind=Session,involvedObject.name=$session" \
		-o go-template="$template" | awk -F'\t' 'NF == 3 { printf "%08d\t%-14s %s\n", $1, $2, $3 }' | sort | cut -f2- | sed 's/^/    /'
}

next_steps() {
	local follow_up="kubectl patch csession hello --type=json -p '[{\"op\":\"add\",\"path\":\"/spec/messages\",\"value\":[\"Now list three files.\"]}]'"
	local logs="kubectl get events --field-selector involvedObject.name=hello"
	local sandbox_steps=""
	if [[ -n "$ENVIRONMENT_KEY" && -x "$BIN/kubectl-claude" ]]; then
		sandbox_steps="    kubectl claude status hello-sandbox      # the self-hosted session and its sandbox Pod
    kubectl claude logs hello-sandbox --sandbox   # the runner's log, while its Pod waits 30s for a follow-up
    kubectl claude send hello-sandbox '[[bash:ls -la; id]]'   # another turn, in a new sandbox Pod
"
	fi
	if [[ -x "$BIN/kubectl-claude" ]]; then
		follow_up='kubectl claude send hello "Now list three files."'
		logs="kubectl claude logs hello"
	fi
	echo
	say "The demo is running. Try:"
	cat <<EOF
    export KUBECONFIG=$KUBECONFIG_PATH
    export PATH=$BIN/k8s:$BIN:\$PATH     # the built kubectl (and the kubectl-claude plugin)
    kubectl get claude                       # Agents, Environments and Sessions
    kubectl describe csession hello          # status, conditions and the conversation as Events
    $logs
    $follow_up
    kubectl wait --for=condition=TurnComplete csession/hello
$sandbox_steps    kubectl run hi --image=busybox --restart=Never --command -- sh -c 'echo hello from \$HOSTNAME'
    kubectl logs hi                          # Pods run on node demo-node as local processes
    less .demo/manager.log                   # the operator's log

    make demo-down                           # stop everything and remove .demo/
EOF
}

up() {
	command -v go >/dev/null || die "Go is required (https://go.dev/dl/)"
	build
	if [[ -d "$DEMO" ]]; then
		say "Found an earlier demo in .demo/; stopping it to start fresh"
		down
	fi
	mkdir -p "$DEMO"
	start_control_plane
	start_pod_runtime
	start_api
	start_manager
	run_sample
	run_self_hosted_sample
	next_steps
}

main() {
	case "${1:-up}" in
	up) up ;;
	down) down ;;
	status) status ;;
	*) die "usage: $0 up|down|status" ;;
	esac
}

# Sourcing the script (test/demo does, to test the process functions) defines the functions and runs
# nothing.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
