package kubetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ca is a certificate authority generated for one cluster.
type ca struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
}

func newCA(cn string) (*ca, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &ca{cert: cert, key: key, certPEM: pemBlock("CERTIFICATE", der)}, nil
}

// issue signs a new key pair. Client certificates carry the user name as CN
// and the groups as O, which is how kube-apiserver reads them.
// certUsage says what a certificate is for.
type certUsage int

const (
	serverCert certUsage = iota
	clientCert
	peerCert // both: etcd peers dial each other and serve each other
)

func (c *ca) issue(cn string, orgs []string, usage certUsage, hosts []string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	switch usage {
	case clientCert:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	case serverCert:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", kder), nil
}

// writeKeyPair writes <dir>/<name>.crt and <dir>/<name>.key.
func writeKeyPair(dir, name string, certPEM, keyPEM []byte) (crtFile, keyFile string, err error) {
	crtFile = filepath.Join(dir, name+".crt")
	keyFile = filepath.Join(dir, name+".key")
	if err := os.WriteFile(crtFile, certPEM, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	return crtFile, keyFile, nil
}

// CA is a certificate authority for tests that need TLS beside a cluster
// or without one (a receiver the API server posts to, and the client
// certificate it posts with). It is the cluster's own PKI code.
type CA struct {
	ca  *ca
	dir string
}

// NewCA creates a CA and writes its certificate to dir/ca.crt.
func NewCA(t testing.TB, dir string) *CA {
	t.Helper()
	a, err := newCA("kubetest-ca")
	if err != nil {
		t.Fatal(err)
	}
	c := &CA{ca: a, dir: dir}
	if err := os.WriteFile(c.File(), a.certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

// PEM is the CA certificate.
func (c *CA) PEM() []byte { return c.ca.certPEM }

// File is the path of the CA certificate.
func (c *CA) File() string { return filepath.Join(c.dir, "ca.crt") }

// Issue writes dir/NAME.crt and dir/NAME.key for common name cn: a serving
// certificate for hosts (IP addresses or DNS names), or a client
// certificate when there are none. It returns the files and their PEM.
func (c *CA) Issue(t testing.TB, name, cn string, hosts ...string) (crtFile, keyFile string, crtPEM, keyPEM []byte) {
	t.Helper()
	usage := serverCert
	if len(hosts) == 0 {
		usage = clientCert
	}
	crtPEM, keyPEM, err := c.ca.issue(cn, nil, usage, hosts)
	if err != nil {
		t.Fatal(err)
	}
	if crtFile, keyFile, err = writeKeyPair(c.dir, name, crtPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	return crtFile, keyFile, crtPEM, keyPEM
}

// newServiceAccountKey returns an RSA key pair for signing service-account
// tokens, as kubeadm generates it (sa.key, sa.pub).
func newServiceAccountKey() (keyPEM, pubPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), pemBlock("PUBLIC KEY", pub), nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return n.Add(n, big.NewInt(1))
}
