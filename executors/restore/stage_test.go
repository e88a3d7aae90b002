package restore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/rdb"
)

// rdbLike returns a file of about n bytes that Verify takes for an RDB:
// the header, JSON-like records such as the benchmarks' datasets hold,
// the EOF opcode and the CRC-64 trailer.
func rdbLike(n int) []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	b.WriteString("REDIS0010")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `order:%d{"id":%d,"user":"u%08x","symbol":"%s","price":%.4f,"qty":%d,"note":"%016x"}`,
			i, i, rng.Uint32(), []string{"BTCUSD", "ETHUSD", "EURUSD", "XAUUSD"}[rng.IntN(4)], rng.Float64()*1e5, rng.IntN(1000), rng.Uint64())
	}
	b.WriteByte(0xff)
	return binary.LittleEndian.AppendUint64(b.Bytes(), rdb.CRC64(b.Bytes()))
}

// storedSource stores data as one zstd-compressed RDB artifact in memory.
func storedSource(tb testing.TB, data []byte) (Source, backup.File) {
	var buf bytes.Buffer
	f, err := backup.StoreStream(context.Background(), &buf, bytes.NewReader(data), backup.StoreOptions{Compression: backup.CompressionZstd})
	if err != nil {
		tb.Fatal(err)
	}
	f.Name, f.Original, f.Kind = "dump.rdb.zst", "dump.rdb", backup.KindRDB
	m := &backup.Manifest{ID: "bench", Files: []backup.File{f}}
	return Source{Manifest: m, Open: func(_ context.Context, f backup.File) (io.ReadCloser, error) {
		return backup.OpenStream(bytes.NewReader(buf.Bytes()), f, nil)
	}}, f
}

// The staging pass writes exactly the backup's bytes, and a damaged
// backup leaves no file behind.
func TestPlaceWritesTheRawBytes(t *testing.T) {
	data := rdbLike(9 << 20)
	src, f := storedSource(t, data)
	dir := t.TempDir()
	crc, err := place(context.Background(), src, placement{file: f, dir: dir, dest: "dump.rdb"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if crc != crcChecked {
		t.Errorf("CRC-64: %v, want it checked", crc)
	}
	got, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("the placed file (%d bytes) differs from the backup's raw bytes (%d)", len(got), len(data))
	}

	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 1 // the CRC-64 no longer matches
	src, f = storedSource(t, bad)
	dir = t.TempDir()
	if _, err := place(context.Background(), src, placement{file: f, dir: dir, dest: "dump.rdb"}, nil); err == nil {
		t.Fatal("a backup whose RDB checksum does not match was placed")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a failed placement left %v behind", left)
	}
}

// BenchmarkStage is the staging pass of a restore over a 64 MB RDB stored
// with zstd: decompression, both digests, the RDB check and the write
// with its fsync. cpu-ms/op is the process's CPU time per pass, which a
// busy machine changes less than the wall time.
func BenchmarkStage(b *testing.B) {
	data := rdbLike(64 << 20)
	src, f := storedSource(b, data)
	dir := b.TempDir()
	b.SetBytes(int64(len(data)))
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := place(context.Background(), src, placement{file: f, dir: dir, dest: "dump.rdb"}, nil); err != nil {
			b.Fatal(err)
		}
		os.Remove(filepath.Join(dir, "dump.rdb"))
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// checkPlaced, the check a restore makes of a staged file beside the
// load, finds what copyChecked finds in the stream: a raw digest, a size
// or an RDB trailer that does not match, each named for the user.
func TestCheckPlacedFindsWhatStagingLeftOut(t *testing.T) {
	data := rdbLike(3 << 20)
	_, f := storedSource(t, data)
	badCRC := bytes.Clone(data)
	badCRC[len(badCRC)/2] ^= 1
	_, fBad := storedSource(t, badCRC) // its digests are of the damaged bytes
	for _, tc := range []struct {
		name string
		data []byte
		f    func() backup.File
		want string
	}{
		{"sound", data, func() backup.File { return f }, ""},
		{"raw digest", data, func() backup.File { g := f; g.RawSHA256 = strings.Repeat("0", 64); return g }, "checksum mismatch of the restored bytes"},
		{"size", data[:len(data)-1], func() backup.File { return f }, "checksum mismatch"},
		{"size in manifest", data, func() backup.File { g := f; g.RawSize++; return g }, "has 3145"},
		{"RDB checksum", badCRC, func() backup.File { return fBad }, "is not a sound RDB file"},
	} {
		path := filepath.Join(t.TempDir(), "dump.rdb")
		if err := os.WriteFile(path, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		crc, err := checkPlaced(t.Context(), fh, tc.f())
		fh.Close()
		switch {
		case tc.want == "" && (err != nil || crc != crcChecked):
			t.Errorf("%s: %v, %v; want the CRC-64 checked", tc.name, crc, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "dump.rdb")):
			t.Errorf("%s: error = %v, want one naming dump.rdb and saying %q", tc.name, err, tc.want)
		}
	}
}
