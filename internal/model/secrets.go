package model

import (
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/redisplan/redisplan/internal/secret"
)

// Secrets returns every secret value of the target, for redaction: the
// connection's password and config_command, sensitive directive values,
// the new names of sensitive renames, the S3 keys, and the secret parts of
// the alert destinations. Values may repeat; empty ones are left out.
func (t *Target) Secrets() []string {
	var out []string
	add := func(vs ...string) {
		for _, v := range vs {
			if v != "" {
				out = append(out, v)
			}
		}
	}
	// The name CONFIG is renamed to is a secret even when the spec
	// writes it literally: hiding CONFIG is what renaming it is for.
	add(t.Connection.Password, t.Connection.ConfigCommand)
	for _, d := range t.Directives {
		if d.Sensitive {
			add(d.Value)
		}
	}
	for _, r := range t.Renames {
		if r.Sensitive || r.Command == "CONFIG" {
			add(r.NewName)
		}
	}
	if b := t.Backup; b != nil && b.S3 != nil {
		add(b.S3.AccessKey, b.S3.SecretKey)
	}
	if a := t.Alerts; a != nil {
		for _, n := range a.Notify {
			add(n.Secrets()...)
		}
	}
	return out
}

// Secrets returns the secret parts of a destination: the password in the
// URL, every query value (a bare query key may be the token itself), the
// fragment, any path segment that looks like a token, and every header
// value (with the token of "Bearer <token>" on its own).
func (n Notify) Secrets() []string {
	var s []string
	if u, err := url.Parse(n.Webhook); err == nil {
		if u.User != nil {
			if p, ok := u.User.Password(); ok {
				// The password, and the credentials as the
				// Authorization header carries them (a receiver may
				// quote the header in its answer).
				s = append(s, p, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+p)))
			}
		}
		s = append(s, u.RawQuery, u.Fragment, u.EscapedFragment())
		for _, p := range strings.Split(u.RawQuery, "&") {
			_, v, ok := strings.Cut(p, "=")
			if !ok {
				v = p
			}
			s = append(s, v)
			if dv, err := url.QueryUnescape(v); err == nil {
				s = append(s, dv)
			}
		}
		for _, seg := range strings.Split(u.EscapedPath(), "/") {
			if secret.LooksLikeToken(seg) {
				s = append(s, seg)
			}
		}
	}
	for _, v := range n.Headers {
		s = append(s, v)
		if _, tok, ok := strings.Cut(v, " "); ok {
			s = append(s, tok)
		}
	}
	return s
}
