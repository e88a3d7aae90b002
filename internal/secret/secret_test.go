package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"testing"
)

func TestRedactEveryForm(t *testing.T) {
	const pw = "Pa ss/wörd+1"
	s := New(pw, "Cfg_Secret9")
	for _, text := range []string{
		pw,
		"pA sS/wörD+1",
		fmt.Sprintf("%q", pw),
		url.QueryEscape(pw),
		url.PathEscape(pw),
		base64.StdEncoding.EncodeToString([]byte(pw)),
		base64.RawURLEncoding.EncodeToString([]byte(pw)),
		"ERR unknown command 'cfg_secret9', with args beginning with: 'GET'",
		"ERR unknown command `CFG_SECRET9`",
	} {
		got := s.Redact("before " + text + " after")
		if s.Contains(got) || !strings.Contains(got, Mask) {
			t.Errorf("Redact(%q) = %q", text, got)
		}
		if !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
			t.Errorf("Redact(%q) = %q: the text around the secret changed", text, got)
		}
	}
}

func TestShortValuesOnlyAsTheyAre(t *testing.T) {
	if !New("").Empty() {
		t.Fatal("an empty value hides something")
	}
	s := New("abc")
	if got := s.Redact("abc ABC YWJj"); got != Mask+" ABC YWJj" {
		t.Errorf("Redact = %q", got)
	}
}

func TestWrapKeepsTheChain(t *testing.T) {
	s := New("hunter2hunter2")
	err := s.Wrap(fmt.Errorf("open with hunter2hunter2: %w", fs.ErrNotExist))
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Error() = %q", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("errors.Is lost the wrapped error")
	}
	var e *Error
	if !errors.As(fmt.Errorf("outer: %w", err), &e) {
		t.Error("errors.As cannot find the *Error")
	}
	if got := fmt.Errorf("outer: %w", err).Error(); strings.Contains(got, "hunter2") {
		t.Errorf("wrapping again shows the secret: %q", got)
	}
	if s.Wrap(nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
	plain := errors.New("nothing secret here")
	if New().Wrap(plain) != plain || s.Wrap(plain) != plain {
		t.Error("an error without a secret was wrapped")
	}
}

func TestLongestFirst(t *testing.T) {
	s := New("secret", "secretlonger")
	if got := s.Redact("a secretlonger b"); got != "a "+Mask+" b" {
		t.Errorf("Redact = %q", got)
	}
	j := Join(New("alpha-one"), New("beta-two"))
	if got := j.Redact("alpha-one beta-two"); got != Mask+" "+Mask {
		t.Errorf("Join: Redact = %q", got)
	}
}
