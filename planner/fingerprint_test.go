package planner

import (
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

// A secret that changes changes the fingerprint; the same inputs with the
// same salt give the same fingerprint, and another plan's salt another.
func TestFingerprintTargetCoversSecrets(t *testing.T) {
	target := &model.Target{Name: "main"}
	state := func(pw, file string) *model.State {
		return &model.State{
			Live: &model.LiveState{RunID: "r", Config: map[string]string{"requirepass": pw, "maxmemory": "0"}},
			File: &model.FileState{Exists: true, Content: []byte(file)},
		}
	}
	kdf := NewKDF()
	before := FingerprintTarget(target, state("old", "requirepass old\n"), nil, kdf)
	if again := FingerprintTarget(target, state("old", "requirepass old\n"), nil, kdf); again.Config != before.Config || again.File != before.File {
		t.Fatalf("the same state gives other fingerprints: %+v, %+v", before, again)
	}
	if !strings.HasPrefix(before.Config, "argon2id:") || !strings.HasPrefix(before.File, "argon2id:") {
		t.Errorf("config and file fingerprints = %q, %q; want argon2id", before.Config, before.File)
	}
	after := FingerprintTarget(target, state("new", "requirepass new\n"), nil, kdf)
	saved := &Fingerprints{KDF: kdf, Targets: map[string]TargetFingerprint{"main": before}}
	r := Stale(saved, &Fingerprints{KDF: kdf, Targets: map[string]TargetFingerprint{"main": after}})
	if strings.Join(r, "; ") != "the live configuration of redis.main changed; the config file of redis.main changed" {
		t.Errorf("stale reasons after a password change = %q", r)
	}
	other := FingerprintTarget(target, state("old", "requirepass old\n"), nil, NewKDF())
	if other.Config == before.Config || other.File == before.File {
		t.Error("two plans' salts give the same fingerprints")
	}
	// Two targets with the same file do not show as the same hash.
	twin := FingerprintTarget(&model.Target{Name: "twin"}, state("old", "requirepass old\n"), nil, kdf)
	if twin.File == before.File || twin.Config == before.Config {
		t.Error("two targets with equal files have equal fingerprints")
	}
	r = Stale(saved, &Fingerprints{KDF: NewKDF(), Targets: map[string]TargetFingerprint{"main": other}})
	if len(r) != 1 || !strings.Contains(r[0], "salt") {
		t.Errorf("fingerprints made with another salt: stale reasons = %q", r)
	}
}

func TestSpecFingerprintCoversVariables(t *testing.T) {
	kdf := NewKDF()
	in := func(pw string) SpecInput {
		return SpecInput{Files: map[string][]byte{"spec.hcl": []byte(`redis "main" {}`)}, Vars: map[string]string{"password": `"` + pw + `"`}}
	}
	a, b := SpecFingerprint(in("one"), kdf), SpecFingerprint(in("two"), kdf)
	if a == b || !strings.HasPrefix(a, "argon2id:") || a != SpecFingerprint(in("one"), kdf) {
		t.Errorf("spec fingerprints %q, %q: want argon2id, equal for equal inputs only", a, b)
	}
}

// Decode refuses plan files of format 1.0 (fast hashes of secrets) and
// files whose key derivation is not this version's: a crafted file must
// not make apply spend gigabytes, nor weaken the hash.
func TestDecodeRefusesOldAndForeignFingerprints(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"format 1.0", `{"format_version":"1.0","targets":[],"fingerprints":{"spec":"sha256:00","targets":{}}}`, "format 1.0, whose fingerprints let whoever reads it test password guesses quickly"},
		{"no fingerprints", `{"format_version":"` + FormatVersion + `","targets":[]}`, "has no fingerprints"},
		{"no kdf", `{"format_version":"` + FormatVersion + `","targets":[],"fingerprints":{"spec":"x","targets":{}}}`, "no key derivation parameters"},
		{"huge memory", `{"format_version":"` + FormatVersion + `","targets":[],"fingerprints":{"kdf":{"algorithm":"argon2id","version":19,"memory_kib":4194304,"iterations":1,"threads":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="},"spec":"x","targets":{}}}`, "m=4194304"},
		{"weak memory", `{"format_version":"` + FormatVersion + `","targets":[],"fingerprints":{"kdf":{"algorithm":"argon2id","version":19,"memory_kib":8,"iterations":1,"threads":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="},"spec":"x","targets":{}}}`, "m=8"},
		{"short salt", `{"format_version":"` + FormatVersion + `","targets":[],"fingerprints":{"kdf":{"algorithm":"argon2id","version":19,"memory_kib":19456,"iterations":2,"threads":1,"salt":"AA=="},"spec":"x","targets":{}}}`, "1-byte salt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "plan -out") {
				t.Errorf("Decode error = %v, want one saying %q and how to make a new plan", err, tc.want)
			}
		})
	}
}
