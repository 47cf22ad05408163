// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Options configure every dispatcher.
type Options struct {
	Pod PodOptions
	// StartTimeout bounds how long a sandbox Pod may take to start its sandbox container (scheduling,
	// image pulls). The claim's lease is asked for this long plus leaseMargin, capped at the API's
	// maximum; a Pod not running by then is given up. Default and maximum 9 minutes.
	StartTimeout time.Duration
	// StatusInterval is how often the queue's statistics and the Environment's status.selfHosted
	// are refreshed (default 10s).
	StatusInterval time.Duration
	// FailureBackoff is the first pause before a session whose sandbox failed gets another Pod, and
	// before an Environment whose Pod the API server refused claims again; it doubles on each
	// consecutive failure up to 5 minutes (default 10s).
	FailureBackoff time.Duration
}

const (
	maxLeaseTTL    = 600 * time.Second
	leaseMargin    = 60 * time.Second
	maxFailBackoff = 5 * time.Minute
	idleWait       = 2 * time.Second
	// inflightFor is how long a Pod this dispatcher created counts although the cache has not shown
	// it yet.
	inflightFor = 30 * time.Second
	// maxParallelClaims bounds the claims in flight at once (each is a few API calls), whatever
	// room maxConcurrentSandboxes leaves.
	maxParallelClaims = 16
	// maxParallelCleanups bounds the sweep's cleanup calls in flight at once (each is a remote Stop
	// and two deletes).
	maxParallelCleanups = 8
)

func (o *Options) defaults() {
	if o.StartTimeout <= 0 || o.StartTimeout > maxLeaseTTL-leaseMargin {
		o.StartTimeout = maxLeaseTTL - leaseMargin
	}
	if o.StatusInterval <= 0 {
		o.StatusInterval = 10 * time.Second
	}
	if o.FailureBackoff <= 0 {
		o.FailureBackoff = 10 * time.Second
	}
}

// leaseTTL is the lease a claim asks for: long enough to start the Pod, then some.
func (o *Options) leaseTTL() time.Duration { return min(o.StartTimeout+leaseMargin, maxLeaseTTL) }

// dispatcher claims one self-hosted Environment's work items and runs each in a sandbox Pod.
type dispatcher struct {
	client   client.Client // cached reads; writes go to the API server
	reader   client.Reader // uncached, to confirm that a claim's Pod does not exist
	work     managedagents.WorkClient
	key      types.NamespacedName // the Environment
	opts     Options
	recorder events.EventRecorder
	log      logr.Logger
	now      func() time.Time
	nudge    chan struct{}

	mu       sync.Mutex
	inflight map[string]time.Time  // Pods created but maybe not in the cache yet
	tracked  map[string]trackedPod // every Pod seen, to notice one that vanished
	deleted  map[string]bool       // Pods this dispatcher deleted
	running  map[string]bool       // Pods whose start latency was recorded
	reported map[string]bool       // Pods whose failure was told
	held     map[string]int        // work item label -> its Pods and Secrets in the cache, at the last sweep
	backoff  map[string]sessionBackoff
	claiming int                // claims in flight that have no Pod yet; each holds a slot
	marked   map[string]bool    // Secrets of claims in flight, whose Pod is about to be created
	cleaning map[string]bool    // sandboxes whose cleanup is under way (startCleanups)
	refusals refusalBackoff     // the Environment's pause after the API server refused a Pod
	endPoll  context.CancelFunc // ends the poll under way, if one is
	claims   sync.WaitGroup     // the claims in flight, which run ends with
	// cleanupSlots bounds the cleanups running at once; cleanups are those started, which run
	// ends with.
	cleanupSlots chan struct{}
	cleanups     sync.WaitGroup
}

type trackedPod struct {
	workID, sessionID string
	uid               types.UID
}

type sessionBackoff struct {
	until    time.Time
	failures int
}

// refusalBackoff is one step of the Environment's back-off after refused Pods: no claims until
// until; steps counts the refusals since a Pod was last admitted.
type refusalBackoff struct {
	until time.Time
	steps int
}

func newDispatcher(c client.Client, reader client.Reader, work managedagents.WorkClient, key types.NamespacedName, opts Options,
	recorder events.EventRecorder, log logr.Logger) *dispatcher {
	opts.defaults()
	return &dispatcher{
		client: c, reader: reader, work: work, key: key, opts: opts, recorder: recorder, log: log, now: time.Now,
		nudge:    make(chan struct{}, 1),
		inflight: map[string]time.Time{}, tracked: map[string]trackedPod{}, deleted: map[string]bool{},
		running: map[string]bool{}, reported: map[string]bool{}, held: map[string]int{}, backoff: map[string]sessionBackoff{},
		marked: map[string]bool{}, cleaning: map[string]bool{}, cleanupSlots: make(chan struct{}, maxParallelCleanups),
	}
}

// Nudge makes the dispatcher look at its Pods now (a Pod changed).
func (d *dispatcher) Nudge() {
	select {
	case d.nudge <- struct{}{}:
	default:
	}
}

// run claims and supervises until ctx ends, and returns once its claims in flight ended.
func (d *dispatcher) run(ctx context.Context) {
	d.log.Info("Started sandbox dispatcher", "environmentID", d.work.EnvironmentID())
	defer d.log.Info("Stopped sandbox dispatcher")
	defer metrics.ForgetSandboxEnvironment(d.key.Namespace, d.key.Name)
	defer d.claims.Wait()
	defer d.cleanups.Wait()
	var lastStatus time.Time
	for ctx.Err() == nil {
		env := &v1alpha1.Environment{}
		if err := d.client.Get(ctx, d.key, env); err != nil || env.Spec.SelfHosted == nil {
			d.wait(ctx, idleWait)
			continue
		}
		view, err := d.sweep(ctx, env)
		if err != nil {
			d.log.Error(err, "Could not list sandbox Pods")
			d.wait(ctx, idleWait)
			continue
		}
		if d.now().Sub(lastStatus) >= d.opts.StatusInterval {
			d.reportStatus(ctx, env, view)
			lastStatus = d.now()
		}
		d.releaseOrphans(ctx, view)
		if d.freeSlots(env, view) <= 0 || !env.DeletionTimestamp.IsZero() {
			d.wait(ctx, idleWait) // a claim that ends nudges
			continue
		}
		if pause := d.claimPause(); pause > 0 {
			d.wait(ctx, min(pause, idleWait))
			continue
		}
		if !d.pollAndClaim(ctx, env) {
			d.wait(ctx, 0) // the poll itself waited; take a nudge if one came
		}
	}
}

// wait returns after d, a nudge, or ctx's end. A zero d only drains a pending nudge.
func (d *dispatcher) wait(ctx context.Context, dur time.Duration) {
	if dur == 0 {
		select {
		case <-d.nudge:
		default:
		}
		return
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-d.nudge:
	case <-t.C:
	}
}

// podView is the dispatcher's count of its Pods after a sweep.
type podView struct {
	pending, running, inflight, ending int
	unschedulable                      int
	unschedulableMessage               string
	names                              map[string]bool // the Pods in the cache
	podsOfWork                         map[string]int  // work item label -> its Pods in the cache
}

// freeSlots is how many more claims may start now: maxConcurrentSandboxes less every Pod that
// counts against it (all that exist, including those ending, those created but not in the cache
// yet, and the claims in flight that will create one), and at most maxParallelClaims in flight.
func (d *dispatcher) freeSlots(env *v1alpha1.Environment, v podView) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	used := v.pending + v.running + v.ending + d.claiming
	for name := range d.inflight {
		if !v.names[name] { // a Pod created after the sweep listed the cache; one in it counts once
			used++
		}
	}
	return min(int(max(env.Spec.SelfHosted.MaxConcurrentSandboxes, 1))-used, maxParallelClaims-d.claiming)
}

// claimPause is how long the Environment still waits before it claims again after a refused Pod.
func (d *dispatcher) claimPause() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.refusals.until.Sub(d.now())
}
