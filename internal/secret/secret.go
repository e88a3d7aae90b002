// Package secret keeps secret values (passwords, the secret name of a
// renamed command, S3 keys, webhook tokens) out of text that people or
// machines read: error messages, events, plans, alerts.
//
// A Set holds the values one operation must never show. Its Wrap puts an
// error behind a message with every value (and the forms in which a value
// is usually echoed: another letter case, quoted, URL- or base64-encoded)
// replaced by "(redacted)", while errors.Is and errors.As still reach
// every error in the chain. MaskURL hides the secret parts of a URL whose
// secrets are not known in advance (a webhook). Every layer may import
// it: it imports only the standard library.
package secret

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Mask replaces a secret in text.
const Mask = "(redacted)"

// MinLen is the length under which only the value itself, in its exact
// letter case, is searched for: one to three characters in another case
// or encoding cannot be told apart from ordinary words.
const MinLen = 4

// Set is the secret values of one operation. The zero Set hides nothing;
// Sets are values, safe to copy and to share between goroutines.
type Set struct {
	// forms holds every value and its encodings, longest first, so that a
	// value containing another is replaced whole.
	forms []form
}

type form struct {
	s    string
	fold bool // match ignoring ASCII letter case
}

// New returns the Set of values. Empty values are ignored.
func New(values ...string) Set {
	return Set{}.With(values...)
}

// With returns a Set holding s's values and values.
func (s Set) With(values ...string) Set {
	seen := make(map[form]bool, len(s.forms))
	forms := make([]form, 0, len(s.forms)+len(values)*8)
	add := func(f form) {
		if f.s != "" && !seen[f] {
			seen[f] = true
			forms = append(forms, f)
		}
	}
	for _, f := range s.forms {
		add(f)
	}
	for _, v := range values {
		if len(v) < MinLen {
			add(form{s: v})
			continue
		}
		for _, e := range []string{
			v,
			strings.TrimSuffix(strings.TrimPrefix(strconv.Quote(v), `"`), `"`),
			url.QueryEscape(v),
			url.PathEscape(v),
			base64.StdEncoding.EncodeToString([]byte(v)),
			base64.URLEncoding.EncodeToString([]byte(v)),
			base64.RawStdEncoding.EncodeToString([]byte(v)),
			base64.RawURLEncoding.EncodeToString([]byte(v)),
		} {
			add(form{s: e, fold: true})
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i].s) > len(forms[j].s) })
	return Set{forms: forms}
}

// Join returns a Set holding the values of every set.
func Join(sets ...Set) Set {
	var out Set
	for _, s := range sets {
		out.forms = append(out.forms, s.forms...)
	}
	return out.With()
}

// Empty reports whether the Set hides nothing.
func (s Set) Empty() bool { return len(s.forms) == 0 }

// Redact returns text with every form of every value replaced by Mask.
// Letter case is ignored (ASCII letters): Redis echoes a command name as
// it was sent, and some messages change its case.
func (s Set) Redact(text string) string {
	for _, f := range s.forms {
		text = replace(text, f)
	}
	return text
}

// Contains reports whether text holds a form of a value.
func (s Set) Contains(text string) bool {
	for _, f := range s.forms {
		if index(text, f) >= 0 {
			return true
		}
	}
	return false
}

// Wrap returns err behind a message with the secrets redacted; errors.Is
// and errors.As see err's whole chain. An error whose message shows no
// secret is returned as it is, so that code switching on its concrete type
// keeps working; so is nil.
func (s Set) Wrap(err error) error {
	if err == nil || !s.Contains(err.Error()) {
		return err
	}
	return &Error{err: err, set: s}
}

// Errorf is fmt.Errorf (with %w) whose result is wrapped by Wrap.
func (s Set) Errorf(format string, args ...any) error {
	return s.Wrap(fmt.Errorf(format, args...))
}

// Error is an error whose message has the secrets of a Set redacted. It
// unwraps to the error it hides.
type Error struct {
	err error
	set Set
}

func (e *Error) Error() string { return e.set.Redact(e.err.Error()) }

// Unwrap returns the wrapped error, whose own message is not redacted:
// print e, never what Unwrap returns.
func (e *Error) Unwrap() error { return e.err }

// replace replaces every occurrence of f in s with Mask.
func replace(s string, f form) string {
	i := index(s, f)
	if i < 0 {
		return s
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(s[:i])
		b.WriteString(Mask)
		s = s[i+len(f.s):]
		i = index(s, f)
	}
	b.WriteString(s)
	return b.String()
}

func index(s string, f form) int {
	if f.fold {
		return indexFold(s, f.s)
	}
	return strings.Index(s, f.s)
}

// indexFold is strings.Index ignoring the case of ASCII letters.
func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if equalFoldASCII(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
