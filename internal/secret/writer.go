package secret

import "io"

// Writer is the last guard of what a program prints: every write to W has
// the secrets in *Secrets redacted, as they are when it is written (the
// set may grow once a spec is loaded). The layers below keep secrets out
// of their errors and events themselves; this catches a message a future
// change forgets. A secret split over two writes is not caught.
type Writer struct {
	W       io.Writer
	Secrets *Set
}

func (s Writer) Write(p []byte) (int, error) {
	if s.Secrets.Empty() {
		return s.W.Write(p)
	}
	if _, err := io.WriteString(s.W, s.Secrets.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
