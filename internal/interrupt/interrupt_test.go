package interrupt

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

func TestWhen(t *testing.T) {
	dl, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-dl.Done()
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	for _, tt := range []struct {
		name  string
		cause error
		want  string
	}{
		{"deadline", context.Cause(dl), "the deadline passed"},
		{"cancelled", context.Cause(canceled), "redisplan was interrupted"},
		{"wrapped deadline", errors.Join(errors.New("x"), context.DeadlineExceeded), "the deadline passed"},
	} {
		if got := When(tt.cause); got != tt.want {
			t.Errorf("%s: When = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A SIGINT caught by signal.NotifyContext, as main installs it, reads as
// an interruption naming the signal, also from a context derived from it
// with a timeout (the way the executors wait).
func TestWhenSignal(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	child, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-child.Done()
	if got, want := When(context.Cause(child)), "redisplan was interrupted (interrupt signal received)"; got != want {
		t.Errorf("When = %q, want %q", got, want)
	}
}
