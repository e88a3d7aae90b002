package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/secret"
)

// Delivery is what became of one POST to one destination. It never holds
// a secret: the URL is masked and so is every error.
type Delivery struct {
	// URL is the webhook, masked by secret.MaskURL.
	URL       string `json:"url"`
	Attempts  int    `json:"attempts"`
	Status    int    `json:"status,omitempty"` // HTTP status of the last attempt
	Error     string `json:"error,omitempty"`
	Delivered bool   `json:"delivered"`
}

// Defaults of a zero Sender.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 3
)

// Sender posts payloads to webhooks, retrying what may succeed later.
// Its zero value is ready to use.
type Sender struct {
	// Client sends the requests. When nil, a client with a 10s timeout
	// that does not follow redirects is used (a redirected POST becomes a
	// GET and loses its body).
	Client *http.Client
	// Retries is the number of extra attempts after a 5xx answer or a
	// network error; a 4xx (or any other) answer is never retried. Zero
	// means DefaultRetries; negative means none.
	Retries int
	// Backoff is the wait before retry number attempt (1, 2, ...).
	// Default: 1s, 2s, 4s... at most 30s.
	Backoff func(attempt int) time.Duration
	// Sleep waits for d or until ctx is done, returning ctx's error then.
	// Tests inject one that does not wait.
	Sleep func(ctx context.Context, d time.Duration) error
}

// maxErrorBody is how much of an error answer's body a Delivery quotes.
const maxErrorBody = 256

// Send POSTs body to the destination's webhook with Content-Type
// application/json and the destination's headers (which may override it).
// A 2xx answer is a delivery.
func (s *Sender) Send(ctx context.Context, n model.Notify, body []byte) Delivery {
	d := Delivery{URL: secret.MaskURL(n.Webhook)}
	secrets := secretsOf(n)
	tries := 1 + s.retries()
	for attempt := 1; ; attempt++ {
		d.Attempts = attempt
		status, retry, err := s.post(ctx, n, body)
		d.Status = status
		if err == nil {
			d.Error = ""
			d.Delivered = true
			return d
		}
		d.Error = secrets.Redact(fmt.Sprintf("POST %s: %v", d.URL, err))
		if !retry || attempt >= tries {
			if attempt > 1 {
				d.Error += fmt.Sprintf(" (gave up after %d attempts)", attempt)
			}
			return d
		}
		if err := s.sleep(ctx, s.backoff(attempt)); err != nil {
			d.Error += fmt.Sprintf(" (stopped after %d attempts: %v)", attempt, err)
			return d
		}
	}
}

// post makes one attempt. It returns the HTTP status (0 without an
// answer), whether another attempt may succeed, and what went wrong.
func (s *Sender) post(ctx context.Context, n model.Notify, body []byte) (int, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.Webhook, bytes.NewReader(body))
	if err != nil {
		// url.Error repeats the URL, secrets and all: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, false, fmt.Errorf("invalid webhook URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "redisplan")
	for k, v := range n.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		return 0, true, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return c, false, nil
	case c >= 500:
		return c, true, statusError(resp, snippet)
	case c >= 300 && c < 400:
		return c, false, fmt.Errorf("%s (redirects are not followed: use the final URL)", resp.Status)
	default:
		return c, false, statusError(resp, snippet)
	}
}

func statusError(resp *http.Response, snippet []byte) error {
	msg := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(string(snippet)))
	if msg == "" {
		return errors.New(resp.Status)
	}
	return fmt.Errorf("%s: %s", resp.Status, msg)
}

func (s *Sender) retries() int {
	switch {
	case s.Retries < 0:
		return 0
	case s.Retries == 0:
		return DefaultRetries
	default:
		return s.Retries
	}
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{
		Timeout: DefaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func (s *Sender) backoff(attempt int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}

// DefaultBackoff doubles from 1s: 1s, 2s, 4s... and stops growing at 30s.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 6 {
		return 30 * time.Second
	}
	return min(time.Second<<(attempt-1), 30*time.Second)
}

func (s *Sender) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return SleepContext(ctx, d)
}

// SleepContext waits for d on a timer, or until ctx is done.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// secretsOf is what must never appear in a Delivery: the URL itself and
// the destination's secret parts.
func secretsOf(n model.Notify) secret.Set {
	return secret.New(append([]string{n.Webhook}, n.Secrets()...)...)
}
