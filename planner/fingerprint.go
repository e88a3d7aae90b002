package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

// SpecInput is what the spec fingerprint covers: the files' bytes and the
// variables' final values.
type SpecInput struct {
	Files map[string][]byte
	// Vars are the variables' values as JSON; secrets included, since
	// only their hash is kept.
	Vars map[string]string
}

// SpecFingerprint hashes the spec and its variables.
func SpecFingerprint(in SpecInput) string {
	h := sha256.New()
	for _, name := range sortedKeys(in.Files) {
		fmt.Fprintf(h, "file %q %d\n", name, len(in.Files[name]))
		h.Write(in.Files[name])
	}
	for _, name := range sortedKeys(in.Vars) {
		fmt.Fprintf(h, "var %q %d\n", name, len(in.Vars[name]))
		io.WriteString(h, in.Vars[name])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// FingerprintTarget records what one target looked like when planned.
func FingerprintTarget(t *model.Target, st *State, cat *catalog.Catalog) TargetFingerprint {
	fp := TargetFingerprint{Managed: map[string]string{}}
	if st == nil {
		return fp
	}
	if st.Live != nil {
		fp.RunID = st.Live.RunID
		h := sha256.New()
		for _, k := range sortedKeys(st.Live.Config) {
			fmt.Fprintf(h, "%q=%q\n", k, st.Live.Config[k])
		}
		fp.Config = "sha256:" + hex.EncodeToString(h.Sum(nil))
		for _, d := range t.Directives {
			if d.Sensitive {
				continue
			}
			if p, ok := cat.Lookup(d.Name); ok && !p.Sensitive() {
				fp.Managed[p.Name] = normalizeOr(p, st.Live.Config[p.Name])
			}
		}
	}
	fp.File = hashFile(st.File)
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

func hashFile(f *FileState) string {
	if f == nil {
		return ""
	}
	if !f.Exists {
		return "absent"
	}
	return hashBytes(f.Content)
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
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("read plan: format version %q, this redisplan reads %q", p.FormatVersion, FormatVersion)
	}
	return &p, nil
}
