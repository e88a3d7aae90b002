//go:build !linux

package restore

import (
	"context"
	"errors"
	"os"
	"time"
)

// streamSupported: a streamed load needs named pipes and renameat2, as
// Linux has them; elsewhere every restore stages its files first.
const streamSupported = false

var errNoStream = errors.New("a streamed load needs Linux")

type fifoWriter struct{ nap time.Duration }

func (*fifoWriter) spliceFrom(*os.File, int64, int64) (int64, error) { return 0, errNoStream }
func (*fifoWriter) Close() error                                     { return nil }

func makeFIFO(string, uint32) error                               { return errNoStream }
func openFIFOWriter(context.Context, string) (*fifoWriter, error) { return nil, errNoStream }
func openFIFONow(string) (int, error)                             { return -1, errNoStream }
func newFIFOWriter(context.Context, int) *fifoWriter              { return &fifoWriter{} }
func closeFD(int)                                                 {}
