package notify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/secret"
)

// recorder is a webhook on loopback that answers with the given statuses
// in turn (the last one repeats) and records what it received.
type recorder struct {
	mu       sync.Mutex
	statuses []int
	calls    int
	bodies   []string // bodies of the 2xx answers
	headers  []http.Header
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	status := rec.statuses[min(rec.calls, len(rec.statuses)-1)]
	rec.calls++
	rec.headers = append(rec.headers, r.Header.Clone())
	if status/100 == 2 {
		rec.bodies = append(rec.bodies, string(body))
	}
	w.WriteHeader(status)
	// An error page that echoes the request, as some servers do.
	io.WriteString(w, "request to "+r.URL.String()+" with "+r.Header.Get("Authorization"))
}

// noSleep records the waits it is asked for and returns at once.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (n *noSleep) Sleep(ctx context.Context, d time.Duration) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.waits = append(n.waits, d)
	return ctx.Err()
}

func newServer(t *testing.T, statuses ...int) (*recorder, *httptest.Server) {
	t.Helper()
	rec := &recorder{statuses: statuses}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv
}

const token = "s3cr3t-T0KEN-value"

func TestSendRetries5xxThenDelivers(t *testing.T) {
	rec, srv := newServer(t, 500, 500, 200)
	sl := &noSleep{}
	s := &Sender{Sleep: sl.Sleep}
	n := model.Notify{Webhook: srv.URL + "/hook?token=" + token, Format: "json"}

	d := s.Send(context.Background(), n, []byte(`{"version":"1","alerts":[]}`))
	if !d.Delivered || d.Attempts != 3 || d.Status != 200 || d.Error != "" {
		t.Fatalf("delivery = %+v", d)
	}
	if len(rec.bodies) != 1 || rec.bodies[0] != `{"version":"1","alerts":[]}` {
		t.Errorf("bodies answered 200: %q", rec.bodies)
	}
	if rec.calls != 3 {
		t.Errorf("server saw %d requests", rec.calls)
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; len(sl.waits) != 2 || sl.waits[0] != want[0] || sl.waits[1] != want[1] {
		t.Errorf("waits = %v, want %v", sl.waits, want)
	}
	if strings.Contains(d.URL, token) || !strings.Contains(d.URL, "token="+secret.Mask) {
		t.Errorf("URL = %q", d.URL)
	}
}

func TestSend4xxIsNotRetried(t *testing.T) {
	rec, srv := newServer(t, 400)
	sl := &noSleep{}
	s := &Sender{Sleep: sl.Sleep}
	n := model.Notify{
		Webhook: srv.URL + "/hook?token=" + token,
		Headers: map[string]string{"Authorization": "Bearer " + token + "-header"},
	}
	d := s.Send(context.Background(), n, []byte(`{}`))
	if d.Delivered || d.Attempts != 1 || d.Status != 400 || rec.calls != 1 || len(sl.waits) != 0 {
		t.Fatalf("delivery = %+v, calls = %d, waits = %v", d, rec.calls, sl.waits)
	}
	if !strings.Contains(d.Error, "400 Bad Request") {
		t.Errorf("error = %q", d.Error)
	}
	// The server echoed the URL and the header: neither leaks.
	if strings.Contains(d.Error, token) || strings.Contains(d.Error, "Bearer") {
		t.Errorf("error leaks a secret: %q", d.Error)
	}
}

func TestSendNetworkErrorIsRetriedAndMasked(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hook?token=" + token
	srv.Close() // nothing listens there any more

	sl := &noSleep{}
	s := &Sender{Sleep: sl.Sleep, Retries: 2, Backoff: func(attempt int) time.Duration { return time.Duration(attempt) * time.Millisecond }}
	d := s.Send(context.Background(), model.Notify{Webhook: url}, []byte(`{}`))
	if d.Delivered || d.Attempts != 3 || d.Status != 0 {
		t.Fatalf("delivery = %+v", d)
	}
	if len(sl.waits) != 2 || sl.waits[0] != time.Millisecond || sl.waits[1] != 2*time.Millisecond {
		t.Errorf("waits = %v", sl.waits)
	}
	if strings.Contains(d.Error, token) {
		t.Errorf("error leaks the token: %q", d.Error)
	}
	if !strings.Contains(d.Error, secret.MaskURL(url)) || !strings.Contains(d.Error, "gave up after 3 attempts") {
		t.Errorf("error = %q, want the masked URL and the attempts", d.Error)
	}
}

func TestSendSendsHeaders(t *testing.T) {
	rec, srv := newServer(t, 204)
	n := model.Notify{Webhook: srv.URL, Headers: map[string]string{"Authorization": "Bearer abc", "X-Scope": "redis"}}
	d := (&Sender{}).Send(context.Background(), n, []byte(`{}`))
	if !d.Delivered || d.Attempts != 1 {
		t.Fatalf("delivery = %+v", d)
	}
	h := rec.headers[0]
	if h.Get("Authorization") != "Bearer abc" || h.Get("X-Scope") != "redis" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", h)
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	_, target := newServer(t, 200)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	t.Cleanup(redirect.Close)
	d := (&Sender{}).Send(context.Background(), model.Notify{Webhook: redirect.URL}, []byte(`{}`))
	if d.Delivered || d.Status != http.StatusFound || d.Attempts != 1 || !strings.Contains(d.Error, "redirects are not followed") {
		t.Errorf("delivery = %+v", d)
	}
}

func TestSendStopsWhenContextIsDone(t *testing.T) {
	rec, srv := newServer(t, 503)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sender{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	d := s.Send(ctx, model.Notify{Webhook: srv.URL}, []byte(`{}`))
	if d.Delivered || d.Attempts != 1 || rec.calls != 1 || !strings.Contains(d.Error, context.Canceled.Error()) {
		t.Errorf("delivery = %+v, calls = %d", d, rec.calls)
	}
}

func TestSendNegativeRetriesMeansOneAttempt(t *testing.T) {
	rec, srv := newServer(t, 500)
	d := (&Sender{Retries: -1, Sleep: (&noSleep{}).Sleep}).Send(context.Background(), model.Notify{Webhook: srv.URL}, nil)
	if d.Attempts != 1 || rec.calls != 1 || d.Delivered {
		t.Errorf("delivery = %+v", d)
	}
}

func TestSendInvalidURLIsMasked(t *testing.T) {
	u := "http://example.com/a b\x7f?token=" + token
	d := (&Sender{}).Send(context.Background(), model.Notify{Webhook: u}, nil)
	if d.Delivered || d.Attempts != 1 || strings.Contains(d.Error, token) || strings.Contains(d.URL, token) {
		t.Errorf("delivery = %+v", d)
	}
	if !strings.Contains(d.Error, "invalid webhook URL") {
		t.Errorf("error = %q", d.Error)
	}
}

func TestSleepContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := SleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if err := SleepContext(context.Background(), 0); err != nil {
		t.Errorf("err = %v", err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := DefaultBackoff(i + 1); got != w {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := DefaultBackoff(1000); got != 30*time.Second {
		t.Errorf("DefaultBackoff(1000) = %v", got)
	}
}

func TestRedact(t *testing.T) {
	n := model.Notify{
		Webhook: "https://u:p%40ssword@h.example.com/x?token=a%2Bb%2Bc%2Bd",
		Headers: map[string]string{"Authorization": "Bearer tok123456"},
	}
	msg := "failed for p@ssword, a+b+c+d, a%2Bb%2Bc%2Bd, tok123456 and Bearer tok123456 at 127.0.0.1:80"
	got := secretsOf(n).Redact(msg)
	for _, s := range []string{"p@ssword", "a+b+c+d", "a%2Bb", "tok123456", "Bearer"} {
		if strings.Contains(got, s) {
			t.Errorf("redact left %q in %q", s, got)
		}
	}
	if !strings.Contains(got, "127.0.0.1:80") {
		t.Errorf("redact removed ordinary text: %q", got)
	}
}
