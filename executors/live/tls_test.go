package live

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/tlstest"
)

func TestInspectTLS(t *testing.T) {
	t.Parallel()
	f := tlstest.Write(t)
	tlsPort := servertest.FreePort(t)
	s := servertest.Start(t, servertest.Options{Config: f.ServerConfig(tlsPort)})
	tlsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort))
	ctx := testContext(t)
	target := func(addr string, cfg *model.TLS) *model.Target {
		return &model.Target{Name: "main", Connection: model.Connection{Address: addr, TLS: cfg, Timeout: 5 * time.Second}}
	}

	t.Run("client certificate", func(t *testing.T) {
		st, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{CAFile: f.CA, CertFile: f.ClientCert, KeyFile: f.ClientKey}))
		if err != nil {
			t.Fatalf("Inspect over TLS: %v", err)
		}
		if st.Live.Config["tls-port"] != strconv.Itoa(tlsPort) || !st.Live.Loopback {
			t.Errorf("tls-port = %q, Loopback = %v", st.Live.Config["tls-port"], st.Live.Loopback)
		}
	})
	t.Run("server name", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{
			CAFile: f.CA, CertFile: f.ClientCert, KeyFile: f.ClientKey, ServerName: "localhost",
		}))
		if err != nil {
			t.Fatalf("Inspect with server_name localhost: %v", err)
		}
	})
	t.Run("unknown CA", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{CertFile: f.ClientCert, KeyFile: f.ClientKey}))
		mustContain(t, err, "TLS handshake with "+tlsAddr+" failed", "ca_file")
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{
			CertFile: f.ClientCert, KeyFile: f.ClientKey, InsecureSkipVerify: true,
		}))
		if err != nil {
			t.Fatalf("Inspect with insecure_skip_verify: %v", err)
		}
	})
	t.Run("wrong server name", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{
			CAFile: f.CA, CertFile: f.ClientCert, KeyFile: f.ClientKey, ServerName: "redis.example",
		}))
		mustContain(t, err, "TLS handshake with "+tlsAddr+" failed", "server_name")
	})
	t.Run("no client certificate", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, &model.TLS{CAFile: f.CA}))
		mustContain(t, err, tlsAddr, "cert_file")
	})
	t.Run("plain text to the TLS port", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, target(tlsAddr, nil))
		mustContain(t, err, tlsAddr, "closed the connection", "TLS")
	})
	t.Run("TLS to the plain port", func(t *testing.T) {
		// Redis waits for the end of an inline command that never comes,
		// so the handshake times out.
		tg := target(s.Addr(), &model.TLS{CAFile: f.CA})
		tg.Connection.Timeout = 200 * time.Millisecond
		_, err := Inspector{}.Inspect(ctx, tg)
		mustContain(t, err, s.Addr(), "tls-port")
	})
	t.Run("half a client certificate", func(t *testing.T) {
		_, err := Dial(model.Connection{Address: tlsAddr, TLS: &model.TLS{CertFile: f.ClientCert}})
		mustContain(t, err, "cert_file and key_file")
	})
	t.Run("missing CA file", func(t *testing.T) {
		_, err := Dial(model.Connection{Address: tlsAddr, TLS: &model.TLS{CAFile: f.CA + ".missing"}})
		mustContain(t, err, "CA file", tlsAddr)
	})
}
