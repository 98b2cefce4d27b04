package admission

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// Keys of the CA Secret.
const (
	CASecretCert = "ca.crt"
	CASecretKey  = "ca.key"
)

// CA signs the webhook's serving certificates in self-managed mode.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
}

// NewCA creates a CA valid for validity.
func NewCA(commonName string, validity time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// KeyPEM is the CA key in PKCS#8 PEM, for the CA Secret only.
func (ca *CA) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseCA reads a CA from PEM.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || !cert.IsCA {
		return nil, errors.New("CA: want an ECDSA CA certificate and its key")
	}
	if time.Now().After(cert.NotAfter) {
		return nil, fmt.Errorf("CA: expired on %s", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM}, nil
}

// Issue signs a serving certificate for hosts (DNS names or IP addresses).
func (ca *CA) Issue(hosts []string, validity time.Duration) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// SelfManaged serves certificates it issues itself from a CA, renewing the
// serving certificate when two thirds of its life have passed.
type SelfManaged struct {
	CA       *CA
	Hosts    []string
	Validity time.Duration

	mu      sync.Mutex
	cur     *tls.Certificate
	renewAt time.Time
	metrics *Metrics
	log     *slog.Logger
}

// NewSelfManaged issues the first certificate.
func NewSelfManaged(ca *CA, hosts []string, validity time.Duration, m *Metrics, log *slog.Logger) (*SelfManaged, error) {
	if len(hosts) == 0 {
		return nil, errors.New("self-managed certificate: no host names")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &SelfManaged{CA: ca, Hosts: hosts, Validity: validity, metrics: m, log: log}
	if err := s.renew(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *SelfManaged) renew() error {
	cert, err := s.CA.Issue(s.Hosts, s.Validity)
	if err != nil {
		return err
	}
	life := cert.Leaf.NotAfter.Sub(cert.Leaf.NotBefore)
	s.cur, s.renewAt = cert, cert.Leaf.NotBefore.Add(life*2/3)
	if s.metrics != nil {
		s.metrics.CertExpiry.Set(float64(cert.Leaf.NotAfter.Unix()))
		s.metrics.CertReloads.WithLabelValues("ok").Inc()
	}
	s.log.Info("serving certificate issued", "hosts", s.Hosts, "notAfter", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (s *SelfManaged) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Now().After(s.renewAt) {
		if err := s.renew(); err != nil {
			if s.metrics != nil {
				s.metrics.CertReloads.WithLabelValues("error").Inc()
			}
			s.log.Error("serving certificate not renewed; still serving the previous one", "error", err.Error())
		}
	}
	return s.cur, nil
}

// LoadOrCreateCA reads the CA from a Secret in the webhook's namespace, or
// creates it there: every replica must sign with the same CA, because the
// webhook configuration trusts one caBundle.
func LoadOrCreateCA(ctx context.Context, cs kubernetes.Interface, namespace, name string, validity time.Duration) (*CA, error) {
	for attempt := 0; attempt < 3; attempt++ {
		sec, err := cs.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			ca, err := ParseCA(sec.Data[CASecretCert], sec.Data[CASecretKey])
			if err != nil {
				return nil, fmt.Errorf("secret %s/%s: %w (delete it to start a new CA)", namespace, name, err)
			}
			return ca, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("reading the CA secret %s/%s: %w", namespace, name, err)
		}
		ca, err := NewCA("kubeward-webhook-ca", validity)
		if err != nil {
			return nil, err
		}
		keyPEM, err := ca.KeyPEM()
		if err != nil {
			return nil, err
		}
		_, err = cs.CoreV1().Secrets(namespace).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubeward"}},
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{CASecretCert: ca.CertPEM, CASecretKey: keyPEM},
		}, metav1.CreateOptions{})
		if err == nil {
			return ca, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating the CA secret %s/%s: %w", namespace, name, err)
		}
		// Another replica won the race: read its CA.
	}
	return nil, fmt.Errorf("the CA secret %s/%s keeps changing", namespace, name)
}

// InjectCABundle writes caPEM into every webhook of the named
// ValidatingWebhookConfiguration whose caBundle differs.
func InjectCABundle(ctx context.Context, cs kubernetes.Interface, configName string, caPEM []byte) (changed bool, err error) {
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		changed = false
		vwc, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, configName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for i := range vwc.Webhooks {
			if !bytes.Equal(vwc.Webhooks[i].ClientConfig.CABundle, caPEM) {
				vwc.Webhooks[i].ClientConfig.CABundle = caPEM
				changed = true
			}
		}
		if !changed {
			return nil
		}
		_, err = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, vwc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("writing the caBundle of ValidatingWebhookConfiguration %s: %w", configName, err)
	}
	return changed, nil
}
