// SPDX-License-Identifier: Apache-2.0

// Command demopki writes the keys, certificates and kubeconfig that `make demo` needs to run
// kube-apiserver on 127.0.0.1, using only the Go standard library (no openssl):
//
//	ca.crt                      the CA that signed the serving certificate (clients trust it)
//	apiserver.crt/.key          serving certificate for 127.0.0.1 and localhost
//	sa.key, sa.pub              RSA key pair that signs and verifies ServiceAccount tokens
//	tokens.csv                  --token-auth-file with one admin (group system:masters)
//	kubeconfig (-kubeconfig)    points at -server with the CA and the admin token
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

func main() {
	dir := flag.String("dir", ".demo/pki", "directory for the keys and certificates")
	server := flag.String("server", "", "API server URL written into the kubeconfig, for example https://127.0.0.1:6443")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig path to write (skipped when empty)")
	flag.Parse()
	if err := run(*dir, *server, *kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, "demopki:", err)
		os.Exit(1)
	}
}

func run(dir, server, kubeconfig string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caKey, caCert, caPEM, err := newCA()
	if err != nil {
		return err
	}
	servingKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	serving := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	servingDER, err := x509.CreateCertificate(rand.Reader, serving, caCert, &servingKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}
	token, err := randomHex(24)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.crt":        caPEM,
		"apiserver.crt": pemBlock("CERTIFICATE", servingDER),
		"apiserver.key": pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(servingKey)),
		"sa.key":        pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey)),
		"sa.pub":        pemBlock("PUBLIC KEY", saPub),
		"tokens.csv":    fmt.Appendf(nil, "%s,admin,admin,\"system:masters\"\n", token),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	if kubeconfig == "" {
		return nil
	}
	if server == "" {
		return fmt.Errorf("-kubeconfig needs -server")
	}
	return os.WriteFile(kubeconfig, kubeconfigYAML(server, caPEM, token), 0o600)
}

// newCA returns a self-signed CA key and certificate, and the certificate as PEM.
func newCA() (*rsa.PrivateKey, *x509.Certificate, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "managed-agents-operator demo CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return key, cert, pemBlock("CERTIFICATE", der), nil
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// kubeconfigYAML is an admin kubeconfig with the CA embedded and a bearer token.
func kubeconfigYAML(server string, caPEM []byte, token string) []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: demo
  context:
    cluster: demo
    user: admin
    namespace: default
current-context: demo
`, server, base64.StdEncoding.EncodeToString(caPEM), token)
}
