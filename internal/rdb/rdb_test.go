package rdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/redis/go-redis/v9"
	"github.com/redisplan/redisplan/executors/server/servertest"
)

func TestCRC64CheckValue(t *testing.T) {
	if got, want := CRC64([]byte("123456789")), uint64(0xe9c6d914c4b8d9ca); got != want {
		t.Fatalf("CRC64(123456789) = %016x, want %016x", got, want)
	}
	if got := CRC64(nil); got != 0 {
		t.Fatalf("CRC64(nil) = %016x, want 0", got)
	}
}

// TestCRC64MatchesReference compares the slicing implementation with the
// standard library's byte-at-a-time CRC-64 over the same reflected
// polynomial. hash/crc64 inverts the register before and after, which
// Jones does not, so the reference inverts it back.
func TestCRC64MatchesReference(t *testing.T) {
	table := crc64.MakeTable(bits.Reverse64(jonesPoly))
	ref := func(p []byte) uint64 { return ^crc64.Update(^uint64(0), table, p) }
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 4096)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for n := 0; n <= 80; n++ {
		if got, want := CRC64(data[:n]), ref(data[:n]); got != want {
			t.Fatalf("len %d: CRC64 = %016x, reference %016x", n, got, want)
		}
	}
	if got, want := CRC64(data), ref(data); got != want {
		t.Fatalf("len %d: CRC64 = %016x, reference %016x", len(data), got, want)
	}
	// Pieces of any size give the same result as one call.
	for _, cut := range []int{1, 3, 7, 8, 9, 100, 4095} {
		if got, want := UpdateCRC64(CRC64(data[:cut]), data[cut:]), CRC64(data); got != want {
			t.Fatalf("split at %d: %016x, want %016x", cut, got, want)
		}
	}
}

// UpdateCRC64 (which folds with carry-less multiplication where the
// processor has it) gives the tables' result for every length around the
// folding's block size and from any running checksum.
func TestCRC64FoldingMatchesTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	data := make([]byte, 1<<16+123)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	lengths := []int{len(data), 1 << 16}
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for _, start := range []uint64{0, 1, rng.Uint64(), ^uint64(0)} {
			off := rng.IntN(16) // unaligned starts too
			p := data[off : off+min(n, len(data)-off)]
			if got, want := UpdateCRC64(start, p), updateCRC64Tables(start, p); got != want {
				t.Fatalf("len %d from %016x: %016x, tables %016x", len(p), start, got, want)
			}
		}
	}
}

// dump starts a real redis-server, fills it, runs SAVE and returns the
// bytes of the dump.rdb it wrote.
func dump(t *testing.T, config string) []byte {
	t.Helper()
	s := servertest.Start(t, servertest.Options{Config: config})
	c := s.Client(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	pipe := c.Pipeline()
	for i := range 2000 {
		val := strings.Repeat(fmt.Sprintf("value-%d-", rng.IntN(1000)), 1+i%40)
		pipe.Set(ctx, fmt.Sprintf("string:%d", i), val, 0)
		if i%10 == 0 {
			pipe.HSet(ctx, fmt.Sprintf("hash:%d", i), "a", i, "b", val)
			pipe.RPush(ctx, fmt.Sprintf("list:%d", i), i, i+1, val)
			pipe.SAdd(ctx, fmt.Sprintf("set:%d", i), i, "x", "y")
			pipe.ZAdd(ctx, fmt.Sprintf("zset:%d", i), redis.Z{Score: float64(i), Member: "m"})
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("fill: %v", err)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatalf("SAVE: %v\n%s", err, s.Log())
	}
	data, err := os.ReadFile(filepath.Join(s.Dir(), "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestVerifyRealDump(t *testing.T) {
	t.Parallel()
	data := dump(t, "")
	info, err := Verify(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if info.Version < 1 || info.Version > MaxVersion {
		t.Errorf("Version = %d", info.Version)
	}
	// The versions these Redis releases write; others are not checked.
	server := servertest.Version(t)
	for prefix, want := range map[string]int{"7.0.": 10, "7.2.": 11, "7.4.": 12} {
		if strings.HasPrefix(server, prefix) && info.Version != want {
			t.Errorf("redis-server %s wrote RDB version %d, want %d", server, info.Version, want)
		}
	}
	if info.Size != int64(len(data)) {
		t.Errorf("Size = %d, want %d", info.Size, len(data))
	}
	if info.Checksum == 0 {
		t.Errorf("Checksum = 0, want the trailer of a checksummed file")
	}
	if want := CRC64(data[:len(data)-8]); info.Checksum != want {
		t.Errorf("Checksum = %016x, want %016x", info.Checksum, want)
	}

	// The result does not depend on how the reader splits the data.
	info2, err := Verify(iotest.OneByteReader(bytes.NewReader(data)))
	if err != nil || info2 != info {
		t.Errorf("Verify(one byte at a time) = %+v, %v; want %+v", info2, err, info)
	}
	info3, err := Verify(iotest.HalfReader(bytes.NewReader(data)))
	if err != nil || info3 != info {
		t.Errorf("Verify(half reads) = %+v, %v; want %+v", info3, err, info)
	}

	t.Run("flipped byte", func(t *testing.T) {
		bad := bytes.Clone(data)
		bad[len(bad)/2] ^= 0x01
		_, err := Verify(bytes.NewReader(bad))
		if !errors.Is(err, ErrChecksumMismatch) {
			t.Fatalf("Verify = %v, want a checksum mismatch", err)
		}
		if !strings.Contains(err.Error(), "checksum mismatch: file says ") || !strings.Contains(err.Error(), ", content is ") {
			t.Errorf("error %q does not say both checksums", err)
		}
	})

	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{len(data) - 1, len(data) - 8, len(data) / 2, 10, 9} {
			cut := truncation(data, n)
			_, err := Verify(bytes.NewReader(data[:cut]))
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("Verify(first %d of %d bytes) = %v, want truncated", cut, len(data), err)
			}
			if want := "truncated: ends before the EOF marker"; cut > headerSize && err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		}
	})

	t.Run("trailing garbage", func(t *testing.T) {
		_, err := Verify(bytes.NewReader(append(bytes.Clone(data), "garbage!!"...)))
		if err == nil {
			t.Fatal("Verify accepted data after the trailer")
		}
	})
}

// truncation returns a length near n at which the cut file does not end
// with something that looks like an EOF opcode and a trailer, so that the
// test checks truncation rather than a coincidence.
func truncation(data []byte, n int) int {
	for n > headerSize && n-9 >= headerSize && data[n-9] == opEOF {
		n--
	}
	return n
}

func TestVerifyWithoutChecksum(t *testing.T) {
	t.Parallel()
	data := dump(t, "rdbchecksum no\n")
	if tr := data[len(data)-8:]; !bytes.Equal(tr, make([]byte, 8)) {
		t.Fatalf("rdbchecksum no wrote trailer %x, want zeros", tr)
	}
	info, err := Verify(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if info.Checksum != 0 {
		t.Errorf("Checksum = %016x, want 0", info.Checksum)
	}
	// Without a checksum, damage in the middle cannot be seen, but a
	// truncated file still can.
	cut := truncation(data, len(data)/2)
	if _, err := Verify(bytes.NewReader(data[:cut])); !errors.Is(err, ErrTruncated) {
		t.Errorf("Verify(truncated) = %v, want truncated", err)
	}
}

// synth builds a minimal RDB file by hand: header, one opcode-free body,
// EOF and (for version >= 5) the trailer.
func synth(version int, body string, checksum bool) []byte {
	b := []byte(fmt.Sprintf("REDIS%04d", version))
	b = append(b, body...)
	b = append(b, opEOF)
	if version < checksumVersion {
		return b
	}
	var crc uint64
	if checksum {
		crc = CRC64(b)
	}
	for i := range 8 {
		b = append(b, byte(crc>>(8*i)))
	}
	return b
}

func TestVerifySynthetic(t *testing.T) {
	for _, tc := range []struct {
		name        string
		data        []byte
		wantErr     error
		wantMsg     string
		want        Info
		checksummed bool // want.Checksum is the CRC of the data
	}{
		{name: "version 12", data: synth(12, "\xfe\x00", true), want: Info{Version: 12, Size: 20}, checksummed: true},
		{name: "version 1 has no trailer", data: synth(1, "\xfe\x00", false), want: Info{Version: 1, Size: 12}},
		{name: "version 5 zero trailer", data: synth(5, "", false), want: Info{Version: 5, Size: 18}},
		{name: "empty", data: nil, wantErr: ErrNotRDB, wantMsg: "not an RDB file: bad magic"},
		{name: "garbage", data: []byte("this is not a dump, it is a text file\n"), wantErr: ErrNotRDB, wantMsg: "not an RDB file: bad magic"},
		{name: "gzip", data: []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), wantErr: ErrNotRDB, wantMsg: "not an RDB file: bad magic"},
		{name: "bad version digits", data: []byte("REDIS00a1\xff"), wantErr: ErrNotRDB},
		{name: "version 13", data: synth(13, "", true), wantErr: ErrUnsupported},
		{name: "version 0", data: synth(0, "", false), wantErr: ErrUnsupported},
		{name: "header only", data: []byte("REDIS0011"), wantErr: ErrTruncated, wantMsg: "truncated: ends before the EOF marker"},
		{name: "short header", data: []byte("REDIS00"), wantErr: ErrTruncated},
		{name: "no EOF opcode", data: append([]byte("REDIS0011\xfe\x00\x00"), make([]byte, 8)...), wantErr: ErrTruncated},
		{name: "version 4 without EOF", data: []byte("REDIS0004\xfe\x00"), wantErr: ErrTruncated},
		{name: "bad checksum", data: func() []byte { b := synth(11, "abc", true); b[10] = 'X'; return b }(), wantErr: ErrChecksumMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Verify(bytes.NewReader(tc.data))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Verify = %+v, %v; want %v", got, err, tc.wantErr)
				}
				if tc.wantMsg != "" && err.Error() != tc.wantMsg {
					t.Errorf("error = %q, want %q", err, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tc.checksummed {
				tc.want.Checksum = CRC64(tc.data[:len(tc.data)-8])
			}
			if got != tc.want {
				t.Errorf("Verify = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestVerifyReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	data := synth(11, strings.Repeat("x", 1000), true)
	_, err := Verify(io.MultiReader(bytes.NewReader(data[:500]), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("Verify = %v, want the read error", err)
	}
}

func BenchmarkCRC64(b *testing.B) {
	data := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	b.SetBytes(int64(len(data)))
	var crc uint64
	for b.Loop() {
		crc = UpdateCRC64(crc, data)
	}
	_ = crc
}

func BenchmarkVerify(b *testing.B) {
	data := synth(11, strings.Repeat("0123456789abcdef", 4<<20), true) // 64 MiB
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Verify(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckingReader(t *testing.T) {
	good := dump(t, "")

	r := NewCheckingReader(bytes.NewReader(good))
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, good) {
		t.Fatalf("a sound RDB: err %v, %d of %d bytes passed", err, len(got), len(good))
	}
	if info, err := r.Result(); err != nil || info.Version == 0 || info.Size != int64(len(good)) {
		t.Errorf("Result = %+v, %v", info, err)
	}

	bad := bytes.Clone(good)
	bad[len(bad)-3] ^= 0x40 // in the CRC-64 trailer
	r = NewCheckingReader(bytes.NewReader(bad))
	_, err = io.ReadAll(r)
	if !errors.Is(err, ErrChecksumMismatch) || !strings.Contains(err.Error(), "not a sound RDB file") {
		t.Fatalf("a damaged RDB read to the end with %v, want a checksum mismatch", err)
	}
	if _, err := r.Result(); !errors.Is(err, ErrChecksumMismatch) {
		t.Errorf("Result error = %v", err)
	}

	// A fault near the start stops the stream there, long before the end.
	big := append([]byte("NOTREDIS!"), make([]byte, 8<<20)...)
	r = NewCheckingReader(bytes.NewReader(big))
	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, ErrNotRDB) || n >= int64(len(big)) {
		t.Errorf("a stream that is not an RDB: %d of %d bytes read, err %v", n, len(big), err)
	}

	// Closed half-way: nothing waits forever.
	r = NewCheckingReader(bytes.NewReader(good))
	if _, err := io.ReadFull(r, make([]byte, len(good)/2)); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := r.Result(); err == nil {
		t.Error("a check closed half-way reports a sound file")
	}
}
