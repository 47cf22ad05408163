// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

// Node is a running process node. Create it with New and run it with Run.
type Node struct {
	cfg      Config
	client   kubernetes.Interface
	log      logr.Logger
	objects  objectSource
	recorder record.EventRecorder
	spawner  *spawner
	listener net.Listener
	ready    chan struct{}

	mu       sync.Mutex
	runCtx   context.Context
	stopping bool
	workers  map[types.UID]*podWorker
	byName   map[string]types.UID // namespace/name -> UID, for the logs endpoint
	// heldPulls counts HoldPulls of each image.
	heldPulls map[string]int
	wg        sync.WaitGroup
}

// New prepares a node that talks to the API server at restConfig. It binds the kubelet API's port
// at once, so that the port is known (KubeletPort) before Run.
func New(cfg Config, restConfig *rest.Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.RootDir, "pods"), 0o755); err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", cfg.ListenAddress)
	if err != nil {
		return nil, fmt.Errorf("processnode: listening for the kubelet API: %w", err)
	}
	return &Node{
		cfg: cfg, client: client, log: cfg.Logger.WithValues("node", cfg.NodeName),
		objects: objectSource{client: client}, listener: l, ready: make(chan struct{}),
		workers: map[types.UID]*podWorker{}, byName: map[string]types.UID{},
	}, nil
}

// Name is the Node object's name.
func (n *Node) Name() string { return n.cfg.NodeName }

// KubeletPort is the port of the node's kubelet API on 127.0.0.1 (container logs).
func (n *Node) KubeletPort() int { return n.listener.Addr().(*net.TCPAddr).Port }

// Ready is closed once the Node is registered, Ready, schedulable and watching its Pods.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// LogPath is the file that holds the log of one run (0 for the first, then one per restart) of a
// container of the Pod with this UID, in the CRI log format (see the package documentation).
func (n *Node) LogPath(podUID types.UID, container string, run int32) string {
	return containerLogPath(filepath.Join(n.cfg.RootDir, "pods", string(podUID)), container, run)
}

// Run registers the Node, runs the Pods bound to it until ctx ends, then stops every process it
// started (SIGTERM, then SIGKILL after Config.StopGrace) and returns. The Node object stays, as
// when a kubelet stops.
func (n *Node) Run(ctx context.Context) error {
	defer func() { _ = n.listener.Close() }()
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: n.client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	n.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "process-node", Host: n.cfg.NodeName})

	if err := n.register(ctx); err != nil {
		return err
	}
	n.spawner = newSpawner()
	defer n.spawner.stop() // last: its thread's end SIGKILLs any process that is somehow still alive

	server := &http.Server{Handler: n.kubeletAPI(), ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	tlsConfig, err := selfSignedTLS(n.cfg.NodeName)
	if err != nil {
		return err
	}
	server.TLSConfig = tlsConfig
	go func() {
		if err := server.ServeTLS(n.listener, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error(err, "Kubelet API server stopped")
		}
	}()
	defer func() { _ = server.Close() }()

	go n.heartbeat(ctx)
	if err := n.watchPods(ctx); err != nil {
		return err
	}
	close(n.ready)
	n.log.Info("Process node is ready", "kubeletPort", n.KubeletPort(), "rootDir", n.cfg.RootDir)
	<-ctx.Done()
	n.mu.Lock()
	n.stopping = true
	n.mu.Unlock()
	n.wg.Wait()
	n.log.Info("Process node stopped every container")
	return nil
}

// watchPods starts the informer on the Pods bound to this node and waits for its first list.
func (n *Node) watchPods(ctx context.Context) error {
	n.mu.Lock()
	n.runCtx = ctx
	n.mu.Unlock()
	factory := informers.NewSharedInformerFactoryWithOptions(n.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", n.cfg.NodeName).String()
	}))
	informer := factory.Core().V1().Pods().Informer()
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { n.podChanged(obj) },
		UpdateFunc: func(_, obj any) { n.podChanged(obj) },
		DeleteFunc: func(obj any) { n.podRemoved(obj) },
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return fmt.Errorf("processnode: the Pod informer did not sync: %w", ctx.Err())
	}
	return nil
}

func (n *Node) podChanged(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if w, ok := n.workers[pod.UID]; ok {
		w.update(pod)
		return
	}
	if n.stopping {
		return
	}
	w := newPodWorker(n, pod)
	n.workers[pod.UID] = w
	key := pod.Namespace + "/" + pod.Name
	n.byName[key] = pod.UID
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		w.run(n.runCtx)
		n.mu.Lock()
		delete(n.workers, pod.UID)
		if n.byName[key] == pod.UID {
			delete(n.byName, key)
		}
		n.mu.Unlock()
	}()
}

func (n *Node) podRemoved(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	n.mu.Lock()
	w := n.workers[pod.UID]
	n.mu.Unlock()
	if w != nil {
		w.markRemoved()
	}
}

// workerByName finds the worker of a Pod by namespace and name, for the logs endpoint.
func (n *Node) workerByName(namespace, name string) *podWorker {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.workers[n.byName[namespace+"/"+name]]
}
