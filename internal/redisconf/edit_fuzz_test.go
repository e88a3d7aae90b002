package redisconf_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/redisconf"
)

func FuzzApplyEditsKeepsOtherLines(f *testing.F) {
	f.Add([]byte(sampleConf), "replicaof", "slaveof", "FLUSHALL")
	f.Add([]byte(sampleConf), "maxmemory", "", "flushdb")
	f.Add([]byte("save 1 1\r\nsave 2 2\r\n"+redisconf.Marker+"\r\nport 1"), "PORT", "", "")
	f.Add([]byte("rename-command FLUSHALL x\nrename-command flushall y"), "port", "", "FlushAll")
	f.Add([]byte("# only comments\n\n"), "maxmemory", "", "")
	f.Add([]byte("0\n\n0"), "0", "", "")
	f.Add([]byte("x\n\nsave 1 1"), "x", "", "")
	f.Add([]byte(""), "appendonly", "", "CONFIG")
	f.Add([]byte("\v\f\n  \t\r\n"), "x y", "\"", "a\\b")
	f.Fuzz(func(t *testing.T, data []byte, directive, alias, key string) {
		if _, err := redisconf.Parse(data); err != nil {
			return
		}
		edits := []redisconf.Edit{{Directive: "save"}}
		if directive != "" {
			edits = append(edits, redisconf.Edit{
				Directive: directive,
				Aliases:   []string{alias},
				Lines:     []string{redisconf.FormatLine(directive, "v1", "two words")},
			})
		}
		if key != "" {
			edits = append(edits, redisconf.Edit{
				Directive: "rename-command",
				Key:       key,
				Lines:     []string{redisconf.FormatLine("rename-command", key, "renamed")},
			})
		}
		for _, n := range []string{directive, alias} {
			switch redisconf.LowerASCII(n) {
			case "save", "rename-command":
				// Such edits overlap the others or lack a key: that
				// they are refused is tested elsewhere.
				return
			}
		}

		out, err := redisconf.ApplyEdits(data, edits)
		if err != nil {
			t.Fatalf("ApplyEdits(%q): %v", data, err)
		}
		assertUntouchedKept(t, data, out, edits)

		markers := func(b []byte) int {
			n := 0
			for _, l := range strings.Split(string(b), "\n") {
				if strings.TrimRight(l, "\r") == redisconf.Marker {
					n++
				}
			}
			return n
		}
		if before, after := markers(data), markers(out); after > before+1 {
			t.Errorf("%d markers before, %d after", before, after)
		}

		again, err := redisconf.ApplyEdits(out, edits)
		if err != nil {
			t.Fatalf("second ApplyEdits: %v", err)
		}
		if !bytes.Equal(again, out) {
			t.Errorf("not idempotent:\n%q\nthen\n%q", out, again)
		}
	})
}
