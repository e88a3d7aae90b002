package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"filippo.io/age"
)

// sample returns n bytes of data that compresses somewhat, like a real
// dump: runs of words from a small vocabulary mixed with random bytes.
func sample(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	words := []string{"user:", "session", "{\"id\":", "\"name\":\"", "cart", "0", "42", "true", "\x00\x01", "expires"}
	var b bytes.Buffer
	for b.Len() < n {
		if rng.IntN(4) == 0 {
			for range rng.IntN(32) {
				b.WriteByte(byte(rng.Uint32()))
			}
			continue
		}
		b.WriteString(words[rng.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

// jsonLike returns n bytes that look like a JSON export: what a Redis
// holding cached API responses mostly contains.
func jsonLike(n int) []byte {
	rng := rand.New(rand.NewPCG(7, 8))
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"user":"user-%d","email":"u%d@example.com","score":%d.%02d,"tags":["a%d","b%d"],"active":%t}`+"\n",
			i, rng.IntN(100000), rng.IntN(100000), rng.IntN(1000), rng.IntN(100), rng.IntN(50), rng.IntN(50), rng.IntN(2) == 0)
	}
	return b.Bytes()[:n]
}

type keys struct {
	ids        []age.Identity
	recipients []string
}

func newKeys(t testing.TB, n int) keys {
	t.Helper()
	var k keys
	for range n {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		k.ids = append(k.ids, id)
		k.recipients = append(k.recipients, id.Recipient().String())
	}
	return k
}

// store runs StoreStream into memory and names the result.
func store(t *testing.T, raw []byte, opts StoreOptions) ([]byte, File) {
	t.Helper()
	var buf bytes.Buffer
	f, err := StoreStream(context.Background(), &buf, bytes.NewReader(raw), opts)
	if err != nil {
		t.Fatalf("StoreStream(%+v): %v", opts, err)
	}
	f.Name = StoredName("dump.rdb", opts)
	f.Original = "dump.rdb"
	f.Kind = KindRDB
	return buf.Bytes(), f
}

// restore reads a stored artifact back through OpenStream.
func restore(stored []byte, f File, ids []age.Identity) ([]byte, error) {
	rc, err := OpenStream(bytes.NewReader(stored), f, ids)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

type combo struct {
	name string
	opts StoreOptions
	ids  []age.Identity
}

func combos(t testing.TB) []combo {
	one := newKeys(t, 1)
	two := newKeys(t, 2)
	var out []combo
	for _, c := range []string{CompressionZstd, CompressionGzip, CompressionNone} {
		out = append(out,
			combo{c + "/plain", StoreOptions{Compression: c}, nil},
			combo{c + "/age", StoreOptions{Compression: c, Recipients: one.recipients}, one.ids},
			// The second of two recipients decrypts on its own.
			combo{c + "/age-two-recipients", StoreOptions{Compression: c, Recipients: two.recipients}, two.ids[1:]},
		)
	}
	return out
}

func TestStoreStreamRoundTrip(t *testing.T) {
	t.Parallel()
	raw := sample(1, 3<<20+17)
	for _, c := range combos(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			stored, f := store(t, raw, c.opts)
			if f.RawSize != int64(len(raw)) || f.StoredSize != int64(len(stored)) {
				t.Errorf("sizes = raw %d stored %d, want %d and %d", f.RawSize, f.StoredSize, len(raw), len(stored))
			}
			if len(f.RawSHA256) != 64 || len(f.SHA256) != 64 {
				t.Errorf("digests %q %q are not hex SHA-256", f.RawSHA256, f.SHA256)
			}
			if c.opts.Compression != CompressionNone && f.StoredSize >= f.RawSize {
				t.Errorf("%s did not compress: %d → %d bytes", c.opts.Compression, f.RawSize, f.StoredSize)
			}
			if c.opts.Compression == CompressionNone && len(c.opts.Recipients) == 0 && !bytes.Equal(stored, raw) {
				t.Errorf("compression none changed the bytes")
			}
			if f.Compression != c.opts.Compression || len(f.Recipients) != len(c.opts.Recipients) {
				t.Errorf("File = %+v, does not record the options %+v", f, c.opts)
			}
			got, err := restore(stored, f, c.ids)
			if err != nil {
				t.Fatalf("restore: %v", err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("restored %d bytes differ from the %d written", len(got), len(raw))
			}
		})
	}
}

func TestStoreStreamEmpty(t *testing.T) {
	for _, c := range combos(t) {
		stored, f := store(t, nil, c.opts)
		got, err := restore(stored, f, c.ids)
		if err != nil || len(got) != 0 {
			t.Errorf("%s: restore of empty input = %d bytes, %v", c.name, len(got), err)
		}
	}
}

func TestOpenStreamDetectsDamage(t *testing.T) {
	t.Parallel()
	raw := sample(2, 1<<20)
	for _, c := range combos(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			stored, f := store(t, raw, c.opts)
			for _, d := range []struct {
				name   string
				stored []byte
			}{
				{"flipped byte", func() []byte { b := bytes.Clone(stored); b[len(b)/2] ^= 0x40; return b }()},
				{"flipped last byte", func() []byte { b := bytes.Clone(stored); b[len(b)-1] ^= 0x01; return b }()},
				{"truncated by one byte", stored[:len(stored)-1]},
				{"truncated to half", stored[:len(stored)/2]},
				{"empty", nil},
				{"trailing data", append(bytes.Clone(stored), "more"...)},
			} {
				got, err := restore(d.stored, f, c.ids)
				if err == nil {
					t.Errorf("%s: restore succeeded with %d bytes", d.name, len(got))
					continue
				}
				if !strings.Contains(err.Error(), f.Name) {
					t.Errorf("%s: error %q does not name %s", d.name, err, f.Name)
				}
			}
		})
	}
}

func TestOpenStreamChecksManifest(t *testing.T) {
	raw := sample(3, 100<<10)
	stored, f := store(t, raw, StoreOptions{Compression: CompressionZstd})
	for _, tc := range []struct {
		name   string
		change func(*File)
		want   string
	}{
		{"raw digest", func(f *File) { f.RawSHA256 = strings.Repeat("0", 64) }, "checksum mismatch of the restored bytes"},
		{"raw size larger", func(f *File) { f.RawSize++ }, "restores to"},
		{"raw size smaller", func(f *File) { f.RawSize-- }, "holds more than"},
		{"stored digest", func(f *File) { f.SHA256 = strings.Repeat("0", 64) }, "checksum mismatch of the stored file"},
		{"stored size larger", func(f *File) { f.StoredSize++ }, "ends early"},
		{"stored size smaller", func(f *File) { f.StoredSize-- }, "its manifest records"},
	} {
		g := f
		tc.change(&g)
		_, err := restore(stored, g, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), f.Name) {
			t.Errorf("%s: error = %v, want one naming %s and saying %q", tc.name, err, f.Name, tc.want)
		}
	}
}

// OpenStreamWithoutRawDigest leaves out only the raw bytes' digest: damage
// to the stored bytes and every other fact of the manifest are still
// errors naming the file, and RawDigestReader over what it returned
// catches a raw digest that does not match, at the end of the bytes.
func TestOpenStreamWithoutRawDigest(t *testing.T) {
	t.Parallel()
	raw := sample(4, 1<<20+3)
	read := func(stored []byte, f File, ids []age.Identity) ([]byte, error) {
		rc, err := OpenStreamWithoutRawDigest(bytes.NewReader(stored), f, ids)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	for _, c := range combos(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			stored, f := store(t, raw, c.opts)
			got, err := read(stored, f, c.ids)
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("read %d bytes, %v; want the %d raw bytes", len(got), err, len(raw))
			}
			if b, err := io.ReadAll(RawDigestReader(bytes.NewReader(got), f)); err != nil || len(b) != len(raw) {
				t.Errorf("RawDigestReader of the right bytes: %d bytes, %v", len(b), err)
			}
			for _, d := range [][]byte{
				func() []byte { b := bytes.Clone(stored); b[len(b)/2] ^= 0x40; return b }(),
				stored[:len(stored)-1],
				append(bytes.Clone(stored), "more"...),
			} {
				if _, err := read(d, f, c.ids); err == nil || !strings.Contains(err.Error(), f.Name) {
					t.Errorf("damaged stored bytes: error = %v, want one naming %s", err, f.Name)
				}
			}
			g := f
			g.RawSHA256 = strings.Repeat("0", 64)
			got, err = read(stored, g, c.ids)
			if err != nil {
				t.Fatalf("with another raw digest in the manifest: %v, want it left to the caller", err)
			}
			_, err = io.ReadAll(RawDigestReader(bytes.NewReader(got), g))
			if err == nil || !strings.Contains(err.Error(), "checksum mismatch of the restored bytes of "+f.Name) {
				t.Errorf("RawDigestReader with another raw digest: error = %v", err)
			}
		})
	}
	stored, f := store(t, raw, StoreOptions{Compression: CompressionZstd})
	for _, tc := range []struct {
		name   string
		change func(*File)
		want   string
	}{
		{"raw size larger", func(f *File) { f.RawSize++ }, "restores to"},
		{"raw size smaller", func(f *File) { f.RawSize-- }, "holds more than"},
		{"stored digest", func(f *File) { f.SHA256 = strings.Repeat("0", 64) }, "checksum mismatch of the stored file"},
		{"stored size larger", func(f *File) { f.StoredSize++ }, "ends early"},
	} {
		g := f
		tc.change(&g)
		if _, err := read(stored, g, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestOpenStreamIdentities(t *testing.T) {
	k := newKeys(t, 1)
	other := newKeys(t, 2)
	stored, f := store(t, sample(4, 10<<10), StoreOptions{Compression: CompressionZstd, Recipients: k.recipients})

	_, err := restore(stored, f, nil)
	if err == nil || !strings.Contains(err.Error(), "the backup is encrypted; pass -identity FILE") {
		t.Errorf("no identity: error = %v", err)
	}
	_, err = restore(stored, f, other.ids)
	if err == nil || !strings.Contains(err.Error(), "none of the identities can decrypt") || !strings.Contains(err.Error(), f.Name) {
		t.Errorf("wrong identities: error = %v", err)
	}
	for _, id := range append(k.ids, other.ids...) {
		if s := id.(*age.X25519Identity).String(); err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("error quotes a secret key")
		}
	}
	// The right one among wrong ones works.
	if _, err := restore(stored, f, append(other.ids, k.ids...)); err != nil {
		t.Errorf("right identity among others: %v", err)
	}
	// Identities are ignored for an artifact that is not encrypted.
	plain, pf := store(t, []byte("hello"), StoreOptions{Compression: CompressionGzip})
	if got, err := restore(plain, pf, other.ids); err != nil || string(got) != "hello" {
		t.Errorf("plain artifact with identities = %q, %v", got, err)
	}
}

func TestParseIdentities(t *testing.T) {
	k := newKeys(t, 2)
	var file strings.Builder
	for _, id := range k.ids {
		x := id.(*age.X25519Identity)
		fmt.Fprintf(&file, "# created: 2026-11-29T03:00:00Z\n# public key: %s\n%s\n\n", x.Recipient(), x)
	}
	ids, err := ParseIdentities(strings.NewReader(file.String()))
	if err != nil || len(ids) != 2 {
		t.Fatalf("ParseIdentities = %d identities, %v", len(ids), err)
	}
	stored, f := store(t, []byte("secret data"), StoreOptions{Compression: CompressionNone, Recipients: k.recipients[1:]})
	if got, err := restore(stored, f, ids); err != nil || string(got) != "secret data" {
		t.Errorf("restore with parsed identities = %q, %v", got, err)
	}

	// A malformed key is reported without being quoted.
	bad := "AGE-SECRET-KEY-1NOTAREALKEYBUTSECRETLOOKING"
	_, err = ParseIdentities(strings.NewReader(bad + "\n"))
	if err == nil || strings.Contains(err.Error(), bad) {
		t.Errorf("ParseIdentities(bad) = %v", err)
	}
}

func TestStoreStreamRejects(t *testing.T) {
	ctx := context.Background()
	id := newKeys(t, 1).ids[0].(*age.X25519Identity)
	for _, tc := range []struct {
		name string
		opts StoreOptions
		want string
		leak string
	}{
		{"empty compression", StoreOptions{}, "unknown compression", ""},
		{"lz4", StoreOptions{Compression: "lz4"}, "unknown compression", ""},
		{"not a key", StoreOptions{Compression: "none", Recipients: []string{"ssh-ed25519 AAAA"}}, "not an age public key", ""},
		{"secret key as recipient", StoreOptions{Compression: "none", Recipients: []string{id.String()}}, "not an age public key", id.String()},
		{"bad public key", StoreOptions{Compression: "none", Recipients: []string{"age1qqqq"}}, "recipient age1qqqq", ""},
	} {
		_, err := StoreStream(ctx, io.Discard, strings.NewReader("x"), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
		if tc.leak != "" && err != nil && strings.Contains(err.Error(), tc.leak) {
			t.Errorf("%s: error quotes the secret key", tc.name)
		}
	}
}

func TestStoreStreamCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := StoreStream(ctx, io.Discard, bytes.NewReader(sample(5, 1<<20)), StoreOptions{Compression: CompressionZstd})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("StoreStream after cancel = %v, want context.Canceled", err)
	}
}

func TestStoreStreamErrors(t *testing.T) {
	boom := errors.New("disk full")
	_, err := StoreStream(context.Background(), failWriter{boom}, bytes.NewReader(sample(6, 1<<20)), StoreOptions{Compression: CompressionNone})
	if !errors.Is(err, boom) {
		t.Errorf("write error: %v", err)
	}
	_, err = StoreStream(context.Background(), io.Discard, io.MultiReader(strings.NewReader("abc"), errReader{boom}), StoreOptions{Compression: CompressionGzip})
	if !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
}

func TestOpenStreamPassesReadErrors(t *testing.T) {
	stored, f := store(t, sample(7, 1<<20), StoreOptions{Compression: CompressionZstd})
	boom := errors.New("connection reset")
	rc, err := OpenStream(io.MultiReader(bytes.NewReader(stored[:len(stored)/2]), errReader{boom}), f, nil)
	if err == nil {
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
	}
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), f.Name) {
		t.Errorf("error = %v, want the read error naming %s", err, f.Name)
	}
}

func TestStoredName(t *testing.T) {
	for _, tc := range []struct {
		opts StoreOptions
		want string
	}{
		{StoreOptions{Compression: "none"}, "dump.rdb"},
		{StoreOptions{Compression: "zstd"}, "dump.rdb.zst"},
		{StoreOptions{Compression: "gzip"}, "dump.rdb.gz"},
		{StoreOptions{Compression: "zstd", Recipients: []string{"age1x"}}, "dump.rdb.zst.age"},
		{StoreOptions{Compression: "none", Recipients: []string{"age1x"}}, "dump.rdb.age"},
	} {
		if got := StoredName("dump.rdb", tc.opts); got != tc.want {
			t.Errorf("StoredName(%+v) = %q, want %q", tc.opts, got, tc.want)
		}
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func benchmarkStore(b *testing.B, opts StoreOptions) {
	data := jsonLike(64 << 20)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var f File
	for b.Loop() {
		var err error
		f, err = StoreStream(ctx, io.Discard, bytes.NewReader(data), opts)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.RawSize)/float64(f.StoredSize), "ratio")
}

func BenchmarkStoreStreamZstd(b *testing.B) {
	benchmarkStore(b, StoreOptions{Compression: CompressionZstd})
}

func BenchmarkStoreStreamZstdAge(b *testing.B) {
	benchmarkStore(b, StoreOptions{Compression: CompressionZstd, Recipients: newKeys(b, 1).recipients})
}

func BenchmarkStoreStreamGzip(b *testing.B) {
	benchmarkStore(b, StoreOptions{Compression: CompressionGzip})
}

func BenchmarkOpenStreamZstd(b *testing.B) {
	data := jsonLike(64 << 20)
	var buf bytes.Buffer
	f, err := StoreStream(context.Background(), &buf, bytes.NewReader(data), StoreOptions{Compression: CompressionZstd})
	if err != nil {
		b.Fatal(err)
	}
	f.Name = "dump.rdb.zst"
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rc, err := OpenStream(bytes.NewReader(buf.Bytes()), f, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}
