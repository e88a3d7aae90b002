package live

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/secret"
)

// SetError is CONFIG SET refusing a batch. Redis 7 applies a multi-pair
// CONFIG SET all or nothing, so when it refuses, no pair was applied.
type SetError struct {
	// Addr is the server's address.
	Addr string
	// Directive is the parameter Redis blamed, as the caller spelled it;
	// empty when Redis named none (a malformed call).
	Directive string
	// Reason is Redis's explanation, without the "ERR" prefix.
	Reason string
}

func (e *SetError) Error() string {
	where := ""
	if e.Addr != "" {
		where = " on " + e.Addr
	}
	reason := strings.TrimRight(e.Reason, ". ")
	if e.Directive == "" {
		return fmt.Sprintf("CONFIG SET%s refused the change: %s; nothing was changed", where, reason)
	}
	return fmt.Sprintf("CONFIG SET%s refused %s: %s; nothing was changed", where, e.Directive, reason)
}

// explained is an error rewritten for a person; the original stays
// reachable through errors.Is and errors.As.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// endpoint is what error messages say about a server.
type endpoint struct {
	addr      string
	user      string
	password  string // only to tell whether one is set
	configCmd string
	// secrets are kept out of every message: the password, and the name
	// CONFIG has when it is renamed (Redis echoes unknown command names).
	secrets secret.Set
	tls     bool
}

func endpointFor(c model.Connection) endpoint {
	return endpoint{addr: c.Address, user: userName(c.Username), password: c.Password, configCmd: "CONFIG",
		secrets: secret.New(c.Password, c.ConfigCommand), tls: c.TLS != nil}
}

func endpointOf(c *redis.Client, configCmd string) endpoint {
	o := c.Options()
	secrets := secret.New(o.Password)
	if !strings.EqualFold(configCmd, "CONFIG") {
		secrets = secrets.With(configCmd)
	}
	return endpoint{addr: o.Addr, user: userName(o.Username), password: o.Password, configCmd: configCmd,
		secrets: secrets, tls: o.TLSConfig != nil}
}

func userName(u string) string {
	if u == "" {
		return "default"
	}
	return u
}

// newError builds an explained error, keeping the endpoint's secrets out
// of it.
func (e endpoint) newError(err error, format string, args ...any) error {
	return &explained{msg: e.secrets.Redact(fmt.Sprintf(format, args...)), err: err}
}

var (
	noPermRE     = regexp.MustCompile(`'([^']+)' command`)
	unknownCmdRE = regexp.MustCompile(`unknown command '([^']*)'`)
)

// explain turns the failure of op (a command such as "CONFIG GET", or
// "connect") into an error that names the server and says what to do.
func (e endpoint) explain(op string, err error) error {
	if err == nil {
		return nil
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return e.explainReply(op, err, strings.TrimSpace(rerr.Error()))
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		return e.newError(err, "%s on %s was cut short: %s", op, e.addr, interrupt.When(context.Canceled))
	case isTLSError(err):
		return e.newError(err, "TLS handshake with %s failed: %v; check the target's tls settings "+
			"(ca_file, cert_file, key_file, server_name) and that this port is the server's tls-port", e.addr, err)
	case isTimeout(err):
		hint := ""
		if e.tls {
			hint = "; with TLS configured, also check that this port is the server's tls-port: a port without TLS never answers the handshake"
		}
		return e.newError(err, "no answer from %s to %s in time (%v); check the address, that no firewall drops the traffic, "+
			"and that the server is not blocked (a slow command, CLIENT PAUSE)%s", e.addr, op, err, hint)
	case errors.Is(err, syscall.ECONNREFUSED):
		return e.newError(err, "cannot connect to %s: connection refused; is redis-server running there?", e.addr)
	case isUnix(e.addr) && errors.Is(err, syscall.ENOENT):
		return e.newError(err, "cannot connect to %s: no such socket; is redis-server running with unixsocket %s?", e.addr, e.addr)
	case isUnix(e.addr) && (errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)):
		return e.newError(err, "cannot connect to %s: permission denied; the socket's mode (unixsocketperm) "+
			"and owner must let this user connect", e.addr)
	case errors.As(err, &dnsErr):
		return e.newError(err, "cannot connect to %s: cannot resolve host %q (%v); check the address", e.addr, dnsErr.Name, dnsErr.Err)
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return e.newError(err, "cannot connect to %s: %v; check the address and the network route", e.addr, err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		if e.tls {
			return e.newError(err, "%s closed the connection during %s (%v); if the server requires client certificates "+
				"(tls-auth-clients yes), set cert_file and key_file in the target's tls block; otherwise the server's log says why",
				e.addr, op, err)
		}
		return e.newError(err, "%s closed the connection during %s (%v); if the server expects TLS on this port, "+
			"configure the target's tls block; otherwise the server's log says why", e.addr, op, err)
	}
	return e.newError(err, "%s on %s: %v", op, e.addr, err)
}

// explainReply explains an error reply of the server.
func (e endpoint) explainReply(op string, err error, msg string) error {
	code, _, _ := strings.Cut(msg, " ")
	switch code {
	case "WRONGPASS":
		return e.newError(err, "authentication failed for user %s at %s: the password is wrong, or the user "+
			"does not exist or is disabled (%s)", e.user, e.addr, msg)
	case "NOAUTH":
		if e.password == "" {
			return e.newError(err, "authentication failed for user %s at %s: the server requires a password "+
				"and the target sets none; set its password", e.user, e.addr)
		}
		return e.newError(err, "authentication failed for user %s at %s: %s", e.user, e.addr, msg)
	case "NOPERM":
		m := noPermRE.FindStringSubmatch(msg)
		if m == nil {
			return e.newError(err, "the user %s lacks a permission %s needs on %s: %s", e.user, op, e.addr, msg)
		}
		acl := strings.ToLower(m[1])
		return e.newError(err, "the user %s lacks permission for %s on %s; grant it with ACL SETUSER %s +%s",
			e.user, commandDisplay(acl), e.addr, e.user, acl)
	case "LOADING":
		return e.newError(err, "%s is still loading its data and cannot answer %s yet; wait until INFO shows loading:0", e.addr, op)
	}
	if m := unknownCmdRE.FindStringSubmatch(msg); m != nil {
		name := m[1]
		if e.configCmd != "" && strings.EqualFold(name, e.configCmd) {
			// The name is not repeated: a renamed CONFIG is a secret, and
			// a wrong one is usually a rotated or mistyped secret.
			what := "the command " + name
			if !strings.EqualFold(name, "CONFIG") {
				what = "the name the spec gives CONFIG (not shown: it is secret)"
			}
			return e.newError(err, "%s does not know %s: CONFIG may have been renamed with rename-command; "+
				"set the target's config_command to its new name, or restore CONFIG and restrict it with an ACL user", e.addr, what)
		}
		return e.newError(err, "%s does not know the command %s; if rename-command renamed it, declare the rename in the target", e.addr, name)
	}
	return e.newError(err, "%s on %s: %s", op, e.addr, msg)
}

// commandDisplay turns an ACL command name (config|get) into the way
// people write the command (CONFIG GET).
func commandDisplay(acl string) string {
	return strings.ToUpper(strings.ReplaceAll(acl, "|", " "))
}

func isRedisError(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr) && nerr.Timeout()
}

func isTLSError(err error) bool {
	var (
		verr  *tls.CertificateVerificationError
		rherr tls.RecordHeaderError
		aerr  tls.AlertError
		uaerr x509.UnknownAuthorityError
		herr  x509.HostnameError
		cierr x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &verr), errors.As(err, &rherr), errors.As(err, &aerr),
		errors.As(err, &uaerr), errors.As(err, &herr), errors.As(err, &cierr):
		return true
	}
	// A remote alert (the server wants a client certificate) has no
	// exported type.
	return strings.Contains(err.Error(), "tls: ")
}

// connectionGone reports whether err means nothing answers at the address
// any more: the port is closed or the socket file is gone.
func connectionGone(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

var (
	setFailedRE  = regexp.MustCompile(`^ERR CONFIG SET failed \(possibly related to argument '([^']*)'\) - (.*)$`)
	setUnknownRE = regexp.MustCompile(`^ERR Unknown option or number of arguments for CONFIG SET - '([^']*)'`)
)

// setError turns CONFIG SET's refusal into a *SetError, or reports false
// when the reply is not about the parameters (NOPERM, LOADING, ...).
func setError(addr, msg string, pairs [][2]string, password string) (*SetError, bool) {
	se := &SetError{Addr: addr}
	if m := setFailedRE.FindStringSubmatch(msg); m != nil {
		se.Directive, se.Reason = m[1], m[2]
	} else if m := setUnknownRE.FindStringSubmatch(msg); m != nil {
		se.Directive, se.Reason = m[1], "unknown parameter, or a value with the wrong number of arguments"
	} else if strings.HasPrefix(msg, "ERR syntax error") || strings.HasPrefix(msg, "ERR wrong number of arguments") {
		se.Reason = strings.TrimPrefix(msg, "ERR ")
	} else {
		return nil, false
	}
	// Redis names the parameter as sent; keep the caller's spelling.
	for _, p := range pairs {
		if strings.EqualFold(p[0], se.Directive) {
			se.Directive = p[0]
		}
	}
	secrets := secret.New(password)
	for _, p := range pairs {
		if sensitive(p[0]) {
			secrets = secrets.With(p[1])
		}
	}
	se.Reason = secrets.Redact(se.Reason)
	return se, true
}

// sensitive reports whether any known release flags the parameter as a
// secret.
func sensitive(name string) bool {
	for _, v := range catalog.Versions() {
		cat, err := catalog.For(v)
		if err != nil {
			continue
		}
		if p, ok := cat.Lookup(name); ok && p.Sensitive() {
			return true
		}
	}
	return false
}

// Endpoint explains failures of one server in words a person can act on,
// and keeps its password out of every message. Other executors that talk
// to Redis (backup capture) use it so that the same failure reads the same
// everywhere.
type Endpoint struct{ e endpoint }

// EndpointOf is the Endpoint of a client's server; configCmd is the name
// CONFIG has there ("" when it does not matter).
func EndpointOf(c *redis.Client, configCmd string) Endpoint {
	return Endpoint{endpointOf(c, configCmd)}
}

// EndpointFor is the Endpoint of a target's connection.
func EndpointFor(c model.Connection) Endpoint { return Endpoint{endpointFor(c)} }

// Addr is the server's address.
func (e Endpoint) Addr() string { return e.e.addr }

// Explain turns the failure of op (a command, or "connect") into an error
// that names the server and says what to do.
func (e Endpoint) Explain(op string, err error) error { return e.e.explain(op, err) }

// Errorf builds an error from the format, with cause reachable through
// errors.Is and errors.As and the password redacted.
func (e Endpoint) Errorf(cause error, format string, args ...any) error {
	return e.e.newError(cause, format, args...)
}

// ReplyError is an error reply read from a raw connection (the
// replication handshake), such as "NOPERM this user has no permissions".
// It is a redis.Error, so Explain reads it as go-redis's own replies.
type ReplyError struct{ Msg string }

func (e *ReplyError) Error() string { return e.Msg }

// RedisError marks ReplyError as a reply of the server.
func (e *ReplyError) RedisError() {}

// ReplyText returns the text of an error reply of the server.
func ReplyText(err error) (string, bool) {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return strings.TrimSpace(rerr.Error()), true
	}
	return "", false
}

// IsTimeout reports whether err is a network or context timeout.
func IsTimeout(err error) bool { return isTimeout(err) }
