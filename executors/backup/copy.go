package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/redisplan/redisplan/internal/progress"
)

// CopyResult says what Copy did.
type CopyResult struct {
	// Existed is true when the destination already held the backup (an
	// earlier copy that finished): it was checked, not written again.
	Existed bool
	// Bytes is how many stored bytes were written and read back.
	Bytes int64
}

// Copy replicates the complete backup m from src to dst and then reads
// the copy back, checking every artifact's stored size and SHA-256
// against the manifest: a copy that reads back differently is deleted and
// reported. (Between its commit and the end of the read-back the copy is
// listed unverified; a run killed there leaves it so, and `backup verify
// -destination` checks it.) The
// source is checked as it streams too, so a damaged original is not
// copied. The manifest is copied as it is, so that `backup verify`
// against dst checks the copy against the same checksums. The stored
// bytes of each file are reported to emit as they are written
// (progress.PhaseUpload); nil reports nothing.
func Copy(ctx context.Context, src, dst Storage, m *Manifest, emit progress.Sink) (CopyResult, error) {
	var res CopyResult
	p, err := dst.Begin(ctx, m.ID)
	if errors.Is(err, ErrExists) {
		res.Existed = true
		n, err := VerifyStored(ctx, dst, m)
		res.Bytes = n
		if err != nil {
			return res, fmt.Errorf("the copy already there is damaged: %w (delete it from the copy destination and run the backup again)", err)
		}
		return res, nil
	}
	if err != nil {
		return res, err
	}
	committed := false
	defer func() {
		if !committed {
			p.Abort(context.WithoutCancel(ctx))
		}
	}()
	for _, f := range m.Files {
		meter := progress.NewMeter(emit, progress.Event{Operation: progress.OpUpload, Target: m.Target, Phase: progress.PhaseUpload, File: f.Name, Total: f.StoredSize})
		if err := copyFile(ctx, src, p, m.ID, f, meter); err != nil {
			return res, fmt.Errorf("copy %s: %w", f.Name, err)
		}
	}
	if err := p.Commit(ctx, m); err != nil {
		return res, err
	}
	committed = true
	n, err := VerifyStored(ctx, dst, m)
	res.Bytes = n
	if err != nil {
		if derr := dst.Delete(context.WithoutCancel(ctx), m.ID); derr != nil {
			err = errors.Join(err, fmt.Errorf("delete the bad copy: %w", derr))
		}
		return res, fmt.Errorf("the copy read back wrong, so it was deleted: %w", err)
	}
	return res, nil
}

func copyFile(ctx context.Context, src Storage, p Pending, id string, f File, meter *progress.Meter) error {
	r, err := src.Open(ctx, id, f.Name)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := CreateSized(ctx, p, f.Name, f.StoredSize)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(w, io.TeeReader(meter.Reader(r), h))
	if err != nil {
		w.Close()
		return err
	}
	if err := checkSum(f, n, h.Sum(nil)); err != nil {
		w.Close()
		return fmt.Errorf("the original: %w", err)
	}
	return w.Close()
}

// VerifyStored reads every artifact of backup m from s and checks its
// stored size and SHA-256 against the manifest, without decrypting or
// decompressing anything: it needs no identity. It returns the bytes
// read.
func VerifyStored(ctx context.Context, s Storage, m *Manifest) (int64, error) {
	var total int64
	for _, f := range m.Files {
		r, err := s.Open(ctx, m.ID, f.Name)
		if err != nil {
			return total, err
		}
		h := sha256.New()
		n, err := io.Copy(h, r)
		r.Close()
		total += n
		if err != nil {
			return total, fmt.Errorf("%s: %w", f.Name, err)
		}
		if err := checkSum(f, n, h.Sum(nil)); err != nil {
			return total, fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return total, nil
}

func checkSum(f File, n int64, sum []byte) error {
	if n != f.StoredSize {
		return fmt.Errorf("%d bytes stored, the manifest says %d", n, f.StoredSize)
	}
	if f.SHA256 != "" && hex.EncodeToString(sum) != f.SHA256 {
		return fmt.Errorf("SHA-256 %s, the manifest says %s", hex.EncodeToString(sum), f.SHA256)
	}
	return nil
}
