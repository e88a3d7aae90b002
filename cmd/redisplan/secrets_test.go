package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/redisplan/redisplan/internal/secret"
)

// The CLI's last guard: whatever a command writes has the spec's secrets
// hidden, once the spec is loaded.
func TestSecretWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var set secret.Set
	w := secret.Writer{W: &buf, Secrets: &set}
	w.Write([]byte("before load: Hunter2Secret\n"))
	set = secret.New("Hunter2Secret")
	n, err := w.Write([]byte("after load: hunter2secret\n"))
	if err != nil || n != len("after load: hunter2secret\n") {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if got, want := buf.String(), "before load: Hunter2Secret\nafter load: (redacted)\n"; got != want {
		t.Errorf("written %q, want %q", got, want)
	}
	// Terminal detection looks through the guard.
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(secret.Writer{W: f, Secrets: &set}) != isTerminal(f) {
		t.Error("isTerminal differs behind the guard")
	}
}
