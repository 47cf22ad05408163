// SPDX-License-Identifier: Apache-2.0

package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// controlPlane is etcd and kube-apiserver run by hand, like hack/demo.sh does, so that the API
// server can be stopped and started again on the same port with the same data: envtest's control
// plane picks new ports and certificates on every start.
type controlPlane struct {
	dir        string
	kubeconfig string
	config     *rest.Config
	etcd       *testenv.Process
	apiserver  *testenv.Process
	apiArgs    []string
	apiBin     string
}

// startControlPlane writes the PKI with hack/demopki (built into workDir), starts etcd and
// kube-apiserver on free ports of 127.0.0.1 and installs the CRDs. It fails when a binary is missing.
func startControlPlane(ctx context.Context, workDir, demopki string) (*controlPlane, error) {
	assets := testenv.AssetsDir()
	etcdBin, apiBin := filepath.Join(assets, "etcd"), filepath.Join(assets, "kube-apiserver")
	for _, bin := range []string{etcdBin, apiBin} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("control plane binary missing: run `make tools` first: %w", err)
		}
	}
	cp := &controlPlane{dir: filepath.Join(workDir, "controlplane"), apiBin: apiBin}
	cp.kubeconfig = filepath.Join(cp.dir, "kubeconfig")
	pki := filepath.Join(cp.dir, "pki")
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]
	if out, err := runCmd(ctx, "", demopki, "-dir", pki, "-server", "https://127.0.0.1:"+strconv.Itoa(apiPort), "-kubeconfig", cp.kubeconfig); err != nil {
		return nil, fmt.Errorf("demopki: %w: %s", err, out)
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	cp.etcd, err = testenv.StartProcess("etcd", etcdBin, []string{
		"--name", "chaos", "--data-dir", filepath.Join(cp.dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "chaos=" + peerURL, "--unsafe-no-fsync",
	})
	if err != nil {
		return nil, err
	}
	cp.apiArgs = []string{
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(apiPort), "--endpoint-reconciler-type", "none",
		"--tls-cert-file", filepath.Join(pki, "apiserver.crt"), "--tls-private-key-file", filepath.Join(pki, "apiserver.key"),
		"--token-auth-file", filepath.Join(pki, "tokens.csv"), "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", filepath.Join(pki, "sa.pub"), "--service-account-signing-key-file", filepath.Join(pki, "sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16", "--cert-dir", pki,
	}
	if err := cp.StartAPIServer(ctx); err != nil {
		cp.Stop()
		return nil, err
	}
	if cp.config, err = clientcmd.BuildConfigFromFlags("", cp.kubeconfig); err != nil {
		cp.Stop()
		return nil, err
	}
	if _, err := envtest.InstallCRDs(cp.config, envtest.CRDInstallOptions{
		Paths:              []string{filepath.Join(testenv.RepoRoot(), "config", "crd", "bases")},
		ErrorIfPathMissing: true,
	}); err != nil {
		cp.Stop()
		return nil, fmt.Errorf("installing the CRDs: %w", err)
	}
	return cp, nil
}

// StartAPIServer starts kube-apiserver with the same flags as before and waits until /readyz says ok.
func (cp *controlPlane) StartAPIServer(ctx context.Context) error {
	p, err := testenv.StartProcess("kube-apiserver", cp.apiBin, cp.apiArgs)
	if err != nil {
		return err
	}
	cp.apiserver = p
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		if p.Exited() {
			return fmt.Errorf("kube-apiserver exited:\n%s", p.Tail(40))
		}
		if cp.ready(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			p.Stop(15 * time.Second)
			return fmt.Errorf("kube-apiserver not ready: %w\n%s", ctx.Err(), p.Tail(40))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// ready asks /readyz with the admin kubeconfig.
func (cp *controlPlane) ready(ctx context.Context) bool {
	cfg, err := clientcmd.BuildConfigFromFlags("", cp.kubeconfig)
	if err != nil {
		return false
	}
	cfg.Timeout = 2 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	return err == nil && string(body) == "ok"
}

// StopAPIServer stops kube-apiserver the way demo.sh does: SIGTERM, then SIGKILL after 15 s.
func (cp *controlPlane) StopAPIServer() {
	if cp.apiserver != nil {
		cp.apiserver.Stop(15 * time.Second)
	}
}

// Stop ends kube-apiserver, then etcd.
func (cp *controlPlane) Stop() {
	cp.StopAPIServer()
	if cp.etcd != nil {
		cp.etcd.Stop(10 * time.Second)
	}
}
