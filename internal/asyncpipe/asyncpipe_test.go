package asyncpipe

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// The consumer reads exactly the bytes written, in order, whatever the
// sizes of the writes (smaller and larger than a chunk).
func TestStreamArrivesWhole(t *testing.T) {
	data := make([]byte, 5*ChunkSize+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, viaWriteTo := range []bool{false, true} {
		var got bytes.Buffer
		w := NewWriter(func(r io.Reader) error {
			if viaWriteTo {
				_, err := io.Copy(&got, r)
				return err
			}
			_, err := io.Copy(&got, struct{ io.Reader }{r}) // Read only
			return err
		})
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(3*ChunkSize/2))
			if _, err := w.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
			t.Fatalf("WriteTo %v: the consumer read %d bytes that differ from the %d written", viaWriteTo, got.Len(), len(data))
		}
	}
}

// A consumer that fails stops the producer with its error.
func TestConsumerErrorStopsWriter(t *testing.T) {
	bad := errors.New("not a sound file")
	w := NewWriter(func(r io.Reader) error {
		buf := make([]byte, 100)
		io.ReadFull(r, buf)
		return bad
	})
	chunk := make([]byte, ChunkSize)
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = w.Write(chunk)
	}
	if !errors.Is(err, bad) {
		t.Fatalf("Write after the consumer failed: %v, want %v", err, bad)
	}
	if err := w.Close(); !errors.Is(err, bad) {
		t.Fatalf("Close: %v, want %v", err, bad)
	}
}

// A producer that gives up makes the consumer read its error, not an end
// of stream that would pass for a whole file.
func TestCloseWithErrorReachesConsumer(t *testing.T) {
	cause := errors.New("read failed")
	w := NewWriter(func(r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
	w.Write(make([]byte, 3*ChunkSize))
	if err := w.CloseWithError(cause); !errors.Is(err, cause) {
		t.Fatalf("the consumer ended with %v, want %v", err, cause)
	}
}

// A consumer that returns early without an error does not block the
// producer.
func TestEarlyConsumerDoesNotBlock(t *testing.T) {
	w := NewWriter(func(r io.Reader) error { return nil })
	for range 20 {
		if _, err := w.Write(make([]byte, ChunkSize)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
