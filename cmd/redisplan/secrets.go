package main

import (
	"io"

	"github.com/redisplan/redisplan/internal/secret"
)

// secretWriter is the last guard of what the CLI prints: every write has
// the loaded spec's secrets (cmdEnv.secrets) redacted. The layers below
// keep secrets out of their errors and events themselves, and files and
// alerts do not pass through here; this catches a message a future change
// forgets. A secret split over two writes is not caught.
type secretWriter struct {
	w       io.Writer
	secrets *secret.Set
}

func (s secretWriter) Write(p []byte) (int, error) {
	if s.secrets.Empty() {
		return s.w.Write(p)
	}
	if _, err := io.WriteString(s.w, s.secrets.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
