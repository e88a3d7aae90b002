package capture

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

	"github.com/redisplan/redisplan/internal/model"
)

// endpoint is what error messages say about a server.
type endpoint struct {
	addr     string
	user     string
	password string // only to keep it out of messages
}

func endpointFor(c model.Connection) endpoint {
	return endpoint{addr: c.Address, user: userName(c.Username), password: c.Password}
}

func endpointOf(c *redis.Client) endpoint {
	o := c.Options()
	return endpoint{addr: o.Addr, user: userName(o.Username), password: o.Password}
}

func userName(u string) string {
	if u == "" {
		return "default"
	}
	return u
}

// explained is an error rewritten for a person; the original stays
// reachable through errors.Is and errors.As.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// newError builds an explained error, keeping the password out of it.
func (e endpoint) newError(err error, format string, args ...any) error {
	return &explained{msg: redact(fmt.Sprintf(format, args...), e.password), err: err}
}

// redact replaces every occurrence of secret in s.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "(redacted)")
}

// replyError is an error reply the server sent on a raw connection (the
// replication handshake), such as "NOPERM this user has no permissions".
type replyError struct{ msg string }

func (e *replyError) Error() string { return e.msg }

var noPermRE = regexp.MustCompile(`'([^']+)' command`)

// explain turns the failure of op (a command such as "BGSAVE", or
// "connect") into an error that names the server and says what to do.
func (e endpoint) explain(op string, err error) error {
	if err == nil {
		return nil
	}
	if msg, ok := replyText(err); ok {
		return e.explainReply(op, err, msg)
	}
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return e.newError(err, "%s on %s: %v", op, e.addr, err)
	case isTLSError(err):
		return e.newError(err, "TLS handshake with %s failed: %v; check the target's tls settings "+
			"(ca_file, cert_file, key_file, server_name) and that this port is the server's tls-port", e.addr, err)
	case isTimeout(err):
		return e.newError(err, "no answer from %s to %s in time (%v); check the address, that no firewall drops the traffic, "+
			"and that the server is not blocked", e.addr, op, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return e.newError(err, "cannot connect to %s: connection refused; is redis-server running there?", e.addr)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return e.newError(err, "%s closed the connection during %s (%v); the server's log says why", e.addr, op, err)
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
		return e.newError(err, "the user %s lacks permission for %s on %s (%s); grant it with ACL SETUSER %s +%s",
			e.user, strings.ToUpper(strings.ReplaceAll(acl, "|", " ")), e.addr, msg, e.user, acl)
	case "LOADING":
		return e.newError(err, "%s is still loading its data and cannot answer %s yet; wait until INFO shows loading:0", e.addr, op)
	}
	if strings.Contains(msg, "unknown command") {
		return e.newError(err, "%s does not know %s (%s); if rename-command renamed it, the backup cannot use it", e.addr, op, msg)
	}
	return e.newError(err, "%s on %s: %s", op, e.addr, msg)
}

// replyText returns the text of an error reply from the server.
func replyText(err error) (string, bool) {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return strings.TrimSpace(rerr.Error()), true
	}
	var re *replyError
	if errors.As(err, &re) {
		return re.msg, true
	}
	return "", false
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
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
	)
	switch {
	case errors.As(err, &verr), errors.As(err, &rherr), errors.As(err, &aerr),
		errors.As(err, &uaerr), errors.As(err, &herr):
		return true
	}
	return strings.Contains(err.Error(), "tls: ")
}

// orUnknown shows an INFO field that the server did not report as "?".
func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
