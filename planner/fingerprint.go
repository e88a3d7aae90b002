package planner

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

// Saved plans are handed around: reviewed in pull requests, kept as CI
// artifacts. Their fingerprints must detect any change between plan and
// apply, secrets included (a new password, a new rename-command name), yet
// must not let a reader test guesses of a secret offline. A plain SHA-256
// of the config file or of the CONFIG GET values does not meet the second
// goal: everything in it but the password is known or guessable, and
// SHA-256 runs billions of times a second on a GPU.
//
// So every fingerprint that covers a secret — the spec with its
// variables, the live configuration, the config file — is argon2id over
// the input, with a random salt drawn for each plan and stored in it (KDF).
// A reader can still test a guess, as with any verifier, but each guess
// costs one argon2id run with the parameters below (the OWASP password
// storage cheat sheet's recommended minimum: 19 MiB, 2 passes, 1 lane),
// and the salt makes every plan a new search: nothing is precomputed,
// nothing is shared between plans or between targets.
//
// The other options were rejected: a MAC keyed by a secret kept on the
// machine makes a plan made in CI impossible to apply elsewhere; leaving
// secrets out of the fingerprints would let a password changed after
// review pass unnoticed, and comparing them any other way at apply needs
// the same verifier in the plan.
//
// Only plan -out and apply PLANFILE compute fingerprints; a plan that is
// not saved pays nothing. What holds no secret (run_id, the non-sensitive
// managed values, the crontab block and the schedule files, which name
// secrets but never hold them) keeps a plain SHA-256 or its value.
const (
	kdfAlgorithm = "argon2id"
	// kdfMemoryKiB, kdfIterations and kdfThreads are argon2id's memory
	// (19 MiB), passes and lanes: about 30 ms a run on one core.
	kdfMemoryKiB  = 19 * 1024
	kdfIterations = 2
	kdfThreads    = 1
	kdfSaltLen    = 16
	kdfKeyLen     = 32
)

// KDF says how a plan's secret-covering fingerprints were made: the
// parameters and the plan's salt. Apply recomputes them with it.
type KDF struct {
	Algorithm string `json:"algorithm"`
	// Version is argon2's version number (19).
	Version    int    `json:"version"`
	MemoryKiB  uint32 `json:"memory_kib"`
	Iterations uint32 `json:"iterations"`
	Threads    uint8  `json:"threads"`
	Salt       []byte `json:"salt"`
}

// NewKDF returns this version's parameters with a fresh random salt.
func NewKDF() *KDF {
	salt := make([]byte, kdfSaltLen)
	rand.Read(salt) // never fails (crypto/rand)
	return &KDF{Algorithm: kdfAlgorithm, Version: argon2.Version, MemoryKiB: kdfMemoryKiB, Iterations: kdfIterations, Threads: kdfThreads, Salt: salt}
}

// check refuses parameters other than this version's: a plan file must not
// make apply spend what it asks (a crafted file could ask for gigabytes),
// and weaker ones are not accepted either.
func (k *KDF) check() error {
	if k == nil {
		return errors.New("its fingerprints have no key derivation parameters")
	}
	want := NewKDF()
	if k.Algorithm != want.Algorithm || k.Version != want.Version || k.MemoryKiB != want.MemoryKiB ||
		k.Iterations != want.Iterations || k.Threads != want.Threads || len(k.Salt) != kdfSaltLen {
		return fmt.Errorf("its fingerprints use %s v%d m=%d t=%d p=%d with a %d-byte salt, this redisplan uses %s v%d m=%d t=%d p=%d with a %d-byte salt",
			k.Algorithm, k.Version, k.MemoryKiB, k.Iterations, k.Threads, len(k.Salt),
			want.Algorithm, want.Version, want.MemoryKiB, want.Iterations, want.Threads, kdfSaltLen)
	}
	return nil
}

func (k *KDF) equal(o *KDF) bool {
	if k == nil || o == nil {
		return k == o
	}
	return k.Algorithm == o.Algorithm && k.Version == o.Version && k.MemoryKiB == o.MemoryKiB &&
		k.Iterations == o.Iterations && k.Threads == o.Threads && bytes.Equal(k.Salt, o.Salt)
}

// sum is the slow, salted hash of a fingerprint's input. domain keeps the
// inputs of different fingerprints (and of different targets) apart, so
// that two equal files in one plan do not show as equal hashes.
func (k *KDF) sum(domain string, input []byte) string {
	msg := make([]byte, 0, len(domain)+1+len(input))
	msg = append(append(append(msg, domain...), 0), input...)
	kdfSlots <- struct{}{}
	defer func() { <-kdfSlots }()
	return kdfAlgorithm + ":" + hex.EncodeToString(argon2.IDKey(msg, k.Salt, k.Iterations, k.MemoryKiB, k.Threads, kdfKeyLen))
}

// kdfSlots bounds the argon2id runs at once to the CPUs: more would not
// finish sooner, and each holds its 19 MiB while it runs, however many
// targets are planned in parallel.
var kdfSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// SpecInput is what the spec fingerprint covers: the files' bytes and the
// variables' final values.
type SpecInput struct {
	Files map[string][]byte
	// Vars are the variables' values as JSON; secrets included, since
	// only their slow, salted hash is kept.
	Vars map[string]string
}

// SpecFingerprint hashes the spec and its variables through the plan's KDF:
// the variables hold the secrets, and the files may.
func SpecFingerprint(in SpecInput, kdf *KDF) string {
	var b bytes.Buffer
	for _, name := range sortedKeys(in.Files) {
		fmt.Fprintf(&b, "file %q %d\n", name, len(in.Files[name]))
		b.Write(in.Files[name])
	}
	for _, name := range sortedKeys(in.Vars) {
		fmt.Fprintf(&b, "var %q %d\n", name, len(in.Vars[name]))
		b.WriteString(in.Vars[name])
	}
	return kdf.sum("spec", b.Bytes())
}

// FingerprintTarget records what one target looked like when planned. The
// live configuration and the config file, which hold the password, the
// ACL passwords and the secret rename-command names, are hashed through
// the plan's KDF.
func FingerprintTarget(t *model.Target, st *model.State, cat *catalog.Catalog, kdf *KDF) TargetFingerprint {
	fp := TargetFingerprint{Managed: map[string]string{}}
	if st == nil {
		return fp
	}
	if st.Live != nil {
		fp.RunID = st.Live.RunID
		var b bytes.Buffer
		for _, k := range sortedKeys(st.Live.Config) {
			fmt.Fprintf(&b, "%q=%q\n", k, st.Live.Config[k])
		}
		fp.Config = kdf.sum("config "+t.Name, b.Bytes())
		for _, d := range t.Directives {
			if d.Sensitive {
				continue
			}
			if p, ok := cat.Lookup(d.Name); ok && !p.Sensitive() {
				fp.Managed[p.Name] = normalizeOr(p, st.Live.Config[p.Name])
			}
		}
	}
	if f := st.File; f != nil {
		fp.File = "absent"
		if f.Exists {
			fp.File = kdf.sum("file "+t.Name, f.Content)
		}
	}
	if st.Cron != nil {
		text := strings.Join(st.Cron.Lines, "\n")
		if st.Cron.Previous != nil {
			text += "\nprevious\n" + strings.Join(st.Cron.Previous, "\n")
		}
		fp.Crontab = hashBytes([]byte(text))
	}
	if len(st.Schedules) > 0 {
		h := sha256.New()
		for _, d := range st.Schedules {
			fmt.Fprintf(h, "dir %q %q\n", d.Kind, d.Dir)
			for _, f := range d.Files {
				fmt.Fprintf(h, "file %q %d\n%s", f.Name, len(f.Content), f.Content)
			}
			for _, o := range d.Others {
				fmt.Fprintf(h, "other %q\n", o)
			}
		}
		fp.ScheduleFiles = "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	return fp
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Stale compares a saved plan's fingerprints with the current ones and
// says, in sentences, everything that moved since the plan was made. An
// empty result means the plan still holds.
func Stale(saved, now *Fingerprints) []string {
	var out []string
	if saved == nil || now == nil {
		return []string{"the plan file has no fingerprints"}
	}
	if !saved.KDF.equal(now.KDF) {
		// Every hash would differ: say why, not that everything moved.
		return []string{"the fingerprints were not made with the plan file's salt and parameters"}
	}
	if saved.Spec != now.Spec {
		out = append(out, "the spec files or their variables changed")
	}
	for _, name := range sortedKeys(saved.Targets) {
		s := saved.Targets[name]
		n, ok := now.Targets[name]
		if !ok {
			out = append(out, fmt.Sprintf("target %s is no longer selected or in the spec", name))
			continue
		}
		if n.RunID == "" && s.RunID != "" {
			// The server could not be read now: nothing is known of what it runs.
			out = append(out, fmt.Sprintf("redis.%s could not be read to compare", name))
			continue
		}
		if s.RunID != n.RunID {
			out = append(out, fmt.Sprintf("redis.%s restarted (run_id %s, now %s)", name, short(s.RunID), short(n.RunID)))
		}
		moved := false
		for _, d := range sortedKeys(s.Managed) {
			if nv, ok := n.Managed[d]; ok && nv != s.Managed[d] {
				out = append(out, fmt.Sprintf("%s on redis.%s changed from %s to %s", d, name, show(s.Managed[d]), show(nv)))
				moved = true
			}
		}
		if !moved && s.Config != n.Config {
			out = append(out, fmt.Sprintf("the live configuration of redis.%s changed", name))
		}
		if s.File != n.File {
			out = append(out, fmt.Sprintf("the config file of redis.%s changed", name))
		}
		if s.Crontab != n.Crontab {
			out = append(out, fmt.Sprintf("the crontab block of redis.%s changed", name))
		}
		if s.ScheduleFiles != n.ScheduleFiles {
			out = append(out, fmt.Sprintf("the schedule files of redis.%s changed", name))
		}
	}
	return out
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func show(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Encode writes a plan as a saved plan file.
func Encode(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// Decode reads a saved plan file, refusing other format versions.
func Decode(r io.Reader) (*Plan, error) {
	var p Plan
	if err := json.NewDecoder(r).Decode(&p); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	switch {
	case p.FormatVersion == "1.0":
		return nil, fmt.Errorf("read plan: the plan file is in format 1.0, whose fingerprints let whoever reads it test password guesses quickly; this redisplan reads only format %s. Delete the file (and its copies, CI artifacts included) and make a new plan with redisplan plan -out", FormatVersion)
	case p.FormatVersion != FormatVersion:
		return nil, fmt.Errorf("read plan: format version %q, this redisplan reads %q; make a new plan with this redisplan's plan -out", p.FormatVersion, FormatVersion)
	case p.Fingerprints == nil:
		return nil, fmt.Errorf("read plan: the plan file has no fingerprints; make a new plan with redisplan plan -out")
	}
	if err := p.Fingerprints.KDF.check(); err != nil {
		return nil, fmt.Errorf("read plan: %w; make a new plan with this redisplan's plan -out", err)
	}
	return &p, nil
}
