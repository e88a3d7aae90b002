package redisconf

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func FuzzParseRoundTrip(f *testing.F) {
	f.Add([]byte(sample))
	for _, seed := range []string{
		"",
		"\n",
		"\r\n",
		"port 6379",
		"port 6379\n",
		"save \"\"\nsave 3600 1\r\n",
		"requirepass \"a b\\\"c\\x41\"\n",
		"masterauth 'it\\'s'\n",
		"x foo\"bar baz\"\n",
		"  # comment\n\t\n",
		"\v\f\n",
		"bad \xff\xfe\n",
		"unclosed \"quote\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		if got := file.Bytes(); !bytes.Equal(got, data) {
			t.Fatalf("Parse(%q).Bytes() = %q", data, got)
		}
		for i, l := range file.Lines {
			if bytes.ContainsRune([]byte(l.Raw), '\n') {
				t.Fatalf("line %d Raw %q contains a newline", i+1, l.Raw)
			}
		}
	})
}

func FuzzQuoteSplit(f *testing.F) {
	for _, seed := range []string{
		"",
		"plain",
		"two words",
		`"`,
		`'`,
		`\`,
		`\x41`,
		"#hash",
		"tab\tnl\ncr\r",
		"\x00\x01\x7f\xff",
		"héllo",
		"\v\f",
		`a"b'c\d`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		got, err := SplitArgs(q)
		if err != nil {
			t.Fatalf("SplitArgs(Quote(%q) = %s): %v", s, q, err)
		}
		if len(got) != 1 || got[0] != s {
			t.Fatalf("SplitArgs(Quote(%q) = %s) = %q", s, q, got)
		}
		// A quoted argument also survives being part of a line.
		line := FormatLine("x", s, s)
		got, err = SplitArgs(line)
		if err != nil || len(got) != 3 || got[1] != s || got[2] != s {
			t.Fatalf("SplitArgs(%s) = %q, %v", line, got, err)
		}
	})
}

func FuzzSetKeepsOtherLines(f *testing.F) {
	f.Add([]byte(sample), "save")
	f.Add([]byte("port 6379\r\nsave 1 1\r\n"+Marker+"\r\nsave 2 2"), "SAVE")
	f.Add([]byte("# only comments\n\n"), "maxmemory")
	f.Add([]byte(""), "port")
	f.Fuzz(func(t *testing.T, data []byte, directive string) {
		file, err := Parse(data)
		if err != nil || directive == "" {
			return
		}
		line := FormatLine(directive, "v1", "two words")
		if err := file.Set(directive, []string{line}); err != nil {
			t.Fatalf("Set(%q, %q): %v", directive, line, err)
		}
		out := file.Bytes()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Set output does not parse: %v\n%q", err, out)
		}
		want := lowerASCII(directive)
		idx := again.Find(directive)
		if len(idx) != 1 || again.Lines[idx[0]].Directive != want {
			t.Fatalf("Find(%q) after Set = %v in %q", directive, idx, out)
		}
		orig, _ := Parse(data)
		var kept, got []string
		for _, l := range orig.Lines {
			if l.Directive != want && strings.TrimRight(l.Raw, "\r") != Marker {
				kept = append(kept, l.Raw)
			}
		}
		for _, l := range again.Lines {
			if l.Directive != want && strings.TrimRight(l.Raw, "\r") != Marker {
				got = append(got, l.Raw)
			}
		}
		if !slices.Equal(kept, got) {
			t.Fatalf("other lines changed:\n%q\n%q", kept, got)
		}
	})
}
