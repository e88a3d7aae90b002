package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// streamSupported: a streamed load needs named pipes and renameat2.
const streamSupported = true

// pipeSize is the buffer asked for the pipe of a streamed load.
const pipeSize = 1 << 20

// makeFIFO creates a named pipe.
func makeFIFO(path string, mode uint32) error {
	return unix.Mkfifo(path, mode)
}

// fifoWriter feeds a named pipe that a loading server reads.
//
// It never blocks in the kernel: it tops the pipe up while it is at most
// half full and sleeps a little otherwise. A writer that waits in the
// kernel (or in Go's poller) for a full pipe is woken each time the server
// reads a page out of it, a wakeup and two system calls per 4 KiB, which
// costs the loading server a good part of its core on a machine with two.
type fifoWriter struct {
	ctx  context.Context
	fd   int
	size int           // the pipe's buffer
	nap  time.Duration // the pause while the pipe is more than half full
}

// openFIFOWriter opens the named pipe at path for writing once a reader
// has it open, polling (an open for writing without a reader fails with
// ENXIO when it does not wait), until ctx ends. Its writes end when ctx
// does.
func openFIFOWriter(ctx context.Context, path string) (*fifoWriter, error) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		fd, err := openFIFONow(path)
		if err == nil {
			return newFIFOWriter(ctx, fd), nil
		}
		if !errors.Is(err, unix.ENXIO) {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the server never opened it: %w", context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// spliceFrom moves n bytes of f from offset off into the pipe by
// reference (splice), and returns how many it moved.
func (w *fifoWriter) spliceFrom(f *os.File, off, n int64) (int64, error) {
	fd := int(f.Fd())
	var moved int64
	for moved < n {
		if err := w.ctx.Err(); err != nil {
			return moved, context.Cause(w.ctx)
		}
		queued, err := unix.IoctlGetInt(w.fd, unix.TIOCINQ)
		if err != nil {
			return moved, err
		}
		if queued > w.size/2 {
			time.Sleep(w.nap)
			continue
		}
		from := off + moved
		k, err := unix.Splice(fd, &from, w.fd, nil, int(min(n-moved, int64(w.size-queued))), unix.SPLICE_F_NONBLOCK|unix.SPLICE_F_MOVE)
		if k > 0 {
			moved += k
		}
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			time.Sleep(w.nap)
		case err != nil:
			return moved, err
		case k == 0:
			return moved, fmt.Errorf("the file ended at %d bytes, before %d", off+moved, off+n)
		}
	}
	return moved, nil
}

// newFIFOWriter is the writer of a pipe open for writing on fd, its
// buffer made larger when the kernel allows.
func newFIFOWriter(ctx context.Context, fd int) *fifoWriter {
	size, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, pipeSize)
	if err != nil {
		// Refused above the user's limit: the default.
		if size, err = unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0); err != nil {
			size = 64 << 10
		}
	}
	// A quarter of the pipe at about 500 MB/s, faster than a server loads.
	nap := time.Duration(size/4) * time.Second / (500 << 20)
	return &fifoWriter{ctx: ctx, fd: fd, size: size, nap: nap}
}

func (w *fifoWriter) Close() error {
	if w.fd < 0 {
		return nil
	}
	err := unix.Close(w.fd)
	w.fd = -1
	return err
}

// openFIFONow opens the named pipe at path for writing without waiting:
// it fails with ENXIO when no process has it open for reading.
func openFIFONow(path string) (int, error) {
	return unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
}

func closeFD(fd int) { unix.Close(fd) }

func niceAll() {
	ents, _ := os.ReadDir("/proc/self/task")
	for _, e := range ents {
		var tid int
		fmt.Sscan(e.Name(), &tid)
		unix.Setpriority(unix.PRIO_PROCESS, tid, 10)
	}
}
