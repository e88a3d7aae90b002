// Package live talks to a running Redis server: it inspects its
// configuration and INFO for the planner, changes configuration with CONFIG
// SET, turns on AOF safely, and restarts the server through its service
// commands.
//
// Every error that comes from the server or the network names the
// server's address and says what to check, and never contains the
// connection's password.
package live

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/model"
)

// ClientName is the name redisplan's connections give themselves (CLIENT
// SETNAME), so that CLIENT LIST shows who is connected.
const ClientName = "redisplan"

const (
	// defaultPort is used when an address names a host without a port.
	defaultPort = "6379"
	// defaultDialTimeout bounds a connection attempt when the target sets
	// no timeout; it is go-redis' default too.
	defaultDialTimeout = 5 * time.Second
)

// Dial returns a go-redis client for the connection. It does not connect:
// the first command does, and its error says what went wrong.
//
// The address is host:port, or the path of a unix socket when it starts
// with "/". The client speaks RESP2 (so CONFIG GET replies are flat lists
// on every version), sends no CLIENT SETINFO (Redis 7.0 lacks it), asks for
// no maintenance notifications, and names itself "redisplan" when the user
// may (an ACL user without +client|setname still connects). Timeout, when
// set, bounds dialing, reading and writing; contexts bound every call. A
// failed command is retried once.
func Dial(c model.Connection) (*redis.Client, error) {
	o, err := options(c)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(o), nil
}

// dialWith is Dial with a hook to adjust the options, for one-shot clients
// that must not retry.
func dialWith(c model.Connection, edit func(*redis.Options)) (*redis.Client, error) {
	o, err := options(c)
	if err != nil {
		return nil, err
	}
	edit(o)
	return redis.NewClient(o), nil
}

func options(c model.Connection) (*redis.Options, error) {
	if c.Address == "" {
		return nil, errors.New("connect: the target has no address")
	}
	o := &redis.Options{
		Addr:                  c.Address,
		Network:               "tcp",
		Username:              c.Username,
		Password:              c.Password,
		DB:                    c.DB,
		Protocol:              2,
		DisableIdentity:       true,
		ContextTimeoutEnabled: true,
		// One retry replaces a pooled connection the server closed while
		// idle; more only multiply the wait for a server that is down or
		// does not answer.
		MaxRetries: 1,
		// One attempt per dial: a refused connection is still refused
		// 100ms later, and the command's retry dials again anyway.
		DialerRetries: 1,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
		OnConnect: nameConnection,
	}
	if isUnix(c.Address) {
		o.Network = "unix"
	} else {
		o.Addr = server.WithPort(c.Address)
	}
	if c.Timeout > 0 {
		o.DialTimeout = c.Timeout
		o.ReadTimeout = c.Timeout
		o.WriteTimeout = c.Timeout
	}
	if c.TLS != nil {
		cfg, err := tlsConfig(c.TLS)
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", c.Address, err)
		}
		o.TLSConfig = cfg
	}
	return o, nil
}

// nameConnection sets the client name. A server that refuses (an ACL user
// without +client|setname, a renamed CLIENT) still serves the connection,
// so only network failures count.
func nameConnection(ctx context.Context, cn *redis.Conn) error {
	err := cn.ClientSetName(ctx, ClientName).Err()
	if err != nil && !isRedisError(err) {
		return err
	}
	return nil
}

// tlsConfig builds the client side of a TLS connection.
func tlsConfig(t *model.TLS) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, // only when the spec asks for it
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate %s and key %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case t.CertFile != "" || t.KeyFile != "":
		return nil, errors.New("a TLS client certificate needs both cert_file and key_file")
	}
	return cfg, nil
}

// reachable connects to the address and hangs up, to learn whether
// anything listens there without going through go-redis, whose pool logs
// every failed dial to stderr.
func reachable(ctx context.Context, c model.Connection) error {
	network, addr := server.Address(c)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return endpointFor(c).explain("connect", err)
	}
	return conn.Close()
}

// isUnix reports whether an address is a unix socket path.
func isUnix(addr string) bool { return strings.HasPrefix(addr, "/") }

// isLoopback reports whether the address reaches the server without
// leaving the machine: a unix socket, localhost, 127.0.0.0/8 or ::1.
func isLoopback(addr string) bool {
	if isUnix(addr) {
		return true
	}
	host, _, err := net.SplitHostPort(server.WithPort(addr))
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i] // an IPv6 zone
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
