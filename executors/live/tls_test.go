package live

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

// tlsFiles are the PEM files of a throwaway CA, a server certificate for
// 127.0.0.1 and a client certificate.
type tlsFiles struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func writeTLSFiles(t *testing.T) tlsFiles {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redisplan test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	f := tlsFiles{ca: filepath.Join(dir, "ca.pem")}
	writePEM(t, f.ca, "CERTIFICATE", caDER)

	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (certPath, keyPath string) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:     []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certPath, keyPath = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
		writePEM(t, certPath, "CERTIFICATE", der)
		writePEM(t, keyPath, "PRIVATE KEY", keyDER)
		return certPath, keyPath
	}
	f.serverCert, f.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	f.clientCert, f.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return f
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestInspectTLS(t *testing.T) {
	t.Parallel()
	f := writeTLSFiles(t)
	tlsPort := servertest.FreePort(t)
	s := servertest.Start(t, servertest.Options{Config: fmt.Sprintf(
		"tls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-auth-clients yes\n",
		tlsPort, f.serverCert, f.serverKey, f.ca)})
	tlsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort))
	ctx := testContext(t)
	target := func(addr string, cfg *model.TLS) *model.Target {
		return &model.Target{Name: "main", Connection: model.Connection{Address: addr, TLS: cfg, Timeout: 5 * time.Second}}
	}

	t.Run("client certificate", func(t *testing.T) {
		st, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{CAFile: f.ca, CertFile: f.clientCert, KeyFile: f.clientKey}))
		if err != nil {
			t.Fatalf("Inspect over TLS: %v", err)
		}
		if st.Live.Config["tls-port"] != strconv.Itoa(tlsPort) || !st.Live.Loopback {
			t.Errorf("tls-port = %q, Loopback = %v", st.Live.Config["tls-port"], st.Live.Loopback)
		}
	})
	t.Run("server name", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{
			CAFile: f.ca, CertFile: f.clientCert, KeyFile: f.clientKey, ServerName: "localhost",
		}))
		if err != nil {
			t.Fatalf("Inspect with server_name localhost: %v", err)
		}
	})
	t.Run("unknown CA", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{CertFile: f.clientCert, KeyFile: f.clientKey}))
		mustContain(t, err, "TLS handshake with "+tlsAddr+" failed", "ca_file")
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{
			CertFile: f.clientCert, KeyFile: f.clientKey, InsecureSkipVerify: true,
		}))
		if err != nil {
			t.Fatalf("Inspect with insecure_skip_verify: %v", err)
		}
	})
	t.Run("wrong server name", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{
			CAFile: f.ca, CertFile: f.clientCert, KeyFile: f.clientKey, ServerName: "redis.example",
		}))
		mustContain(t, err, "TLS handshake with "+tlsAddr+" failed", "server_name")
	})
	t.Run("no client certificate", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{CAFile: f.ca}))
		mustContain(t, err, tlsAddr, "cert_file")
	})
	t.Run("plain text to the TLS port", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, nil))
		mustContain(t, err, tlsAddr, "closed the connection", "TLS")
	})
	t.Run("TLS to the plain port", func(t *testing.T) {
		// Redis waits for the end of an inline command that never comes,
		// so the handshake times out.
		tg := target(s.Addr(), &model.TLS{CAFile: f.ca})
		tg.Connection.Timeout = 200 * time.Millisecond
		_, err := Inspector{}.Inspect(ctx, tg)
		mustContain(t, err, s.Addr(), "tls-port")
	})
	t.Run("half a client certificate", func(t *testing.T) {
		_, err := Dial(model.Connection{Address: tlsAddr, TLS: &model.TLS{CertFile: f.clientCert}})
		mustContain(t, err, "cert_file and key_file")
	})
	t.Run("missing CA file", func(t *testing.T) {
		_, err := Dial(model.Connection{Address: tlsAddr, TLS: &model.TLS{CAFile: f.ca + ".missing"}})
		mustContain(t, err, "CA file", tlsAddr)
	})
}
