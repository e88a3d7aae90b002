package main

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

// The alert of a restore that was interrupted (Ctrl-C, SIGTERM: the
// command's context is cancelled) is still sent: it used to be dropped,
// its request cancelled with the restore.
func TestAlertFailureSentWhenInterrupted(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	tg := &model.Target{Name: "main", Alerts: &model.Alerts{Notify: []model.Notify{{Webhook: rcv.srv.URL, Format: "json"}}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := &cmdEnv{stdout: io.Discard, stderr: io.Discard, sender: testSender}
	alertFailure(ctx, env, tg, "restore", "The restore of Redis main failed", errors.New("restore main: interrupted"))
	if got := rcv.received(); len(got) != 1 {
		t.Fatalf("the webhook got %d alerts after an interrupted restore, want 1", len(got))
	}
}
