package redisconf

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// sample is a realistic redis.conf. It is built in Go rather than kept in
// testdata so that its CRLF line, tabs and missing final newline cannot be
// normalized away by an editor or by git.
const sample = "# Redis configuration file example.\n" +
	"#\n" +
	"# Note that in order to read the configuration file, Redis must be\n" +
	"# started with the file path as first argument:\n" +
	"#\n" +
	"# ./redis-server /path/to/redis.conf\n" +
	"\n" +
	"include /etc/redis/common.conf\n" +
	"include /etc/redis/conf.d/*.conf\n" +
	"\n" +
	"################################## NETWORK #####################################\n" +
	"\n" +
	"bind 127.0.0.1 -::1\n" +
	"protected-mode yes\n" +
	"port 6379\n" +
	"   tcp-backlog 511\n" +
	"timeout 0\n" +
	"\n" +
	"################################ SNAPSHOTTING  ################################\n" +
	"\n" +
	"# save 3600 1 300 100 60 10000\n" +
	"save 3600 1\n" +
	"save 300 100\n" +
	"save 60 10000\n" +
	"\n" +
	"stop-writes-on-bgsave-error yes\r\n" +
	"dbfilename dump.rdb\n" +
	"dir \"/var/lib/redis\"\n" +
	"\n" +
	"################################## SECURITY ###################################\n" +
	"\n" +
	"requirepass \"s3cr3t with \\\"quotes\\\" and spaces\"\n" +
	"masterauth 'it\\'s single'\n" +
	"rename-command CONFIG \"\"\n" +
	"rename-command FLUSHALL b840fc02d524045429941cc15f59e41cb7be6c52\n" +
	"\n" +
	"MaxMemory 2gb\n" +
	"maxmemory-policy allkeys-lru\n" +
	"\tnotify-keyspace-events \"Ex\"   \n" +
	"client-output-buffer-limit normal 0 0 0\n" +
	"client-output-buffer-limit replica 256mb 64mb 60\n" +
	"proc-title-template \"{title} {listen-addr} {server-mode}\"\n" +
	"appendonly no\n" +
	"# end of file, no newline after the next line\n" +
	"loglevel notice"

func TestParseSample(t *testing.T) {
	f, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Bytes(); !bytes.Equal(got, []byte(sample)) {
		t.Fatalf("Bytes() differs from the input:\n%q\nwant\n%q", got, sample)
	}
	if n := strings.Count(sample, "\n") + 1; len(f.Lines) != n {
		t.Errorf("got %d lines, want %d", len(f.Lines), n)
	}

	want := map[string][][]string{
		"include":                     {{"/etc/redis/common.conf"}, {"/etc/redis/conf.d/*.conf"}},
		"bind":                        {{"127.0.0.1", "-::1"}},
		"tcp-backlog":                 {{"511"}},
		"save":                        {{"3600", "1"}, {"300", "100"}, {"60", "10000"}},
		"stop-writes-on-bgsave-error": {{"yes"}},
		"dir":                         {{"/var/lib/redis"}},
		"requirepass":                 {{`s3cr3t with "quotes" and spaces`}},
		"masterauth":                  {{"it's single"}},
		"rename-command":              {{"CONFIG", ""}, {"FLUSHALL", "b840fc02d524045429941cc15f59e41cb7be6c52"}},
		"maxmemory":                   {{"2gb"}},
		"notify-keyspace-events":      {{"Ex"}},
		"client-output-buffer-limit":  {{"normal", "0", "0", "0"}, {"replica", "256mb", "64mb", "60"}},
		"proc-title-template":         {{"{title} {listen-addr} {server-mode}"}},
		"loglevel":                    {{"notice"}},
	}
	for directive, args := range want {
		idx := f.Find(directive)
		if len(idx) != len(args) {
			t.Errorf("Find(%q) = %v, want %d lines", directive, idx, len(args))
			continue
		}
		for i, j := range idx {
			if !slices.Equal(f.Lines[j].Args, args[i]) {
				t.Errorf("%s line %d args = %q, want %q", directive, j+1, f.Lines[j].Args, args[i])
			}
		}
	}
	if got := f.Find("MAXMEMORY"); len(got) != 1 || f.Lines[got[0]].Raw != "MaxMemory 2gb" {
		t.Errorf("Find is not case-insensitive or Raw changed: %v", got)
	}
	for i, l := range f.Lines {
		trimmed := strings.TrimSpace(l.Raw)
		isComment := trimmed == "" || strings.HasPrefix(trimmed, "#")
		if isComment != (l.Directive == "") {
			t.Errorf("line %d %q: Directive %q", i+1, l.Raw, l.Directive)
		}
		if isComment && l.Args != nil {
			t.Errorf("line %d %q: comment has Args %q", i+1, l.Raw, l.Args)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	inputs := []string{
		"",
		"\n",
		"\n\n",
		"\r\n",
		"port 6379",
		"port 6379\n",
		"port 6379\r\n",
		"port 6379\r\nsave 1 2\r\n",
		"# only a comment",
		"   # indented comment\n",
		"\t\n \n",
		"\v\n",
		"port 6379\n\n\n",
		"requirepass \"\\xff\\x00\"\n",
		"user default on nopass ~* &* +@all\n",
		"héllo wörld\n",
		"bad \xff utf8\n",
	}
	for _, in := range inputs {
		f, err := Parse([]byte(in))
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := f.Bytes(); !bytes.Equal(got, []byte(in)) {
			t.Errorf("Parse(%q).Bytes() = %q", in, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"port 6379\nrequirepass \"abc\n", "line 2: unbalanced quotes"},
		{"requirepass 'abc", "line 1: unbalanced quotes"},
		{"# ok\n\n\ndir \"/tmp\"x\n", "line 4: a closing quote must be followed by a space"},
		{"port 6379\r\nbind \"a\r\n", "line 2: unbalanced quotes"},
		{"port 63\x0079\n", "line 1: the line contains a NUL byte"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", tt.in)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error %q, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

// edit parses in, applies fn and returns the resulting text.
func edit(t *testing.T, in string, fn func(f *File) error) string {
	t.Helper()
	f, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(f); err != nil {
		t.Fatal(err)
	}
	out := string(f.Bytes())
	// Whatever we write must parse again to the same lines.
	g, err := Parse([]byte(out))
	if err != nil {
		t.Fatalf("edited file does not parse: %v\n%s", err, out)
	}
	if !slices.EqualFunc(f.Lines, g.Lines, func(a, b Line) bool {
		return a.Raw == b.Raw && a.Directive == b.Directive && slices.Equal(a.Args, b.Args)
	}) {
		t.Fatalf("edited lines do not match their reparse:\n%q\n%q", f.Lines, g.Lines)
	}
	return out
}

func TestSet(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		directive string
		lines     []string
		want      string
	}{
		{
			name:      "replace in place",
			in:        "# top\nport 6379\ntimeout 0\n",
			directive: "port",
			lines:     []string{"port 7000"},
			want:      "# top\nport 7000\ntimeout 0\n",
		},
		{
			name:      "replace keeps CRLF",
			in:        "# top\r\nport 6379\r\ntimeout 0\n",
			directive: "port",
			lines:     []string{"port 7000"},
			want:      "# top\r\nport 7000\r\ntimeout 0\n",
		},
		{
			name:      "case-insensitive directive",
			in:        "PORT 6379\n",
			directive: "Port",
			lines:     []string{"port 7000"},
			want:      "port 7000\n",
		},
		{
			name:      "later duplicates removed",
			in:        "timeout 10\n# middle\ntimeout 20\nport 1\nTIMEOUT 30\n",
			directive: "timeout",
			lines:     []string{"timeout 5"},
			want:      "timeout 5\n# middle\nport 1\n",
		},
		{
			name:      "several save lines replace several",
			in:        "# snapshots\nsave 900 1\nsave 300 10\nappendonly no\nsave 60 10000\n",
			directive: "save",
			lines:     []string{"save 3600 1", "save 300 100", "save 60 10000"},
			want:      "# snapshots\nsave 3600 1\nsave 300 100\nsave 60 10000\nappendonly no\n",
		},
		{
			name:      "commented directive is not replaced",
			in:        "# maxmemory 1gb\nport 6379\n",
			directive: "maxmemory",
			lines:     []string{"maxmemory 2gb"},
			want:      "# maxmemory 1gb\nport 6379\n" + Marker + "\nmaxmemory 2gb\n",
		},
		{
			name:      "append to a file without final newline",
			in:        "port 6379",
			directive: "maxmemory",
			lines:     []string{"maxmemory 2gb"},
			want:      "port 6379\n" + Marker + "\nmaxmemory 2gb\n",
		},
		{
			name:      "append to an empty file",
			in:        "",
			directive: "maxmemory",
			lines:     []string{"maxmemory 2gb"},
			want:      Marker + "\nmaxmemory 2gb\n",
		},
		{
			name:      "append reuses the marker block",
			in:        "port 6379\n" + Marker + "\nmaxmemory 2gb\n\n# user stuff\nloglevel notice\n",
			directive: "appendonly",
			lines:     []string{"appendonly yes"},
			want:      "port 6379\n" + Marker + "\nmaxmemory 2gb\nappendonly yes\n\n# user stuff\nloglevel notice\n",
		},
		{
			name:      "append reuses a marker at the end",
			in:        "port 6379\n" + Marker + "\nmaxmemory 2gb",
			directive: "appendonly",
			lines:     []string{"appendonly yes"},
			want:      "port 6379\n" + Marker + "\nmaxmemory 2gb\nappendonly yes\n",
		},
		{
			name:      "append to a CRLF file",
			in:        "port 6379\r\ntimeout 0\r\n",
			directive: "maxmemory",
			lines:     []string{"maxmemory 2gb"},
			want:      "port 6379\r\ntimeout 0\r\n" + Marker + "\r\nmaxmemory 2gb\r\n",
		},
		{
			name:      "reuse a CRLF marker",
			in:        "port 6379\r\n" + Marker + "\r\nmaxmemory 2gb\r\n",
			directive: "appendonly",
			lines:     []string{"appendonly yes"},
			want:      "port 6379\r\n" + Marker + "\r\nmaxmemory 2gb\r\nappendonly yes\r\n",
		},
		{
			name:      "no lines removes",
			in:        "port 6379\nsave 1 1\nsave 2 2\n",
			directive: "save",
			lines:     nil,
			want:      "port 6379\n",
		},
		{
			name:      "no lines and absent is a no-op",
			in:        "port 6379",
			directive: "save",
			lines:     nil,
			want:      "port 6379",
		},
		{
			name:      "quoted values",
			in:        "requirepass old\n",
			directive: "requirepass",
			lines:     []string{FormatLine("requirepass", `new "pass" word`)},
			want:      "requirepass \"new \\\"pass\\\" word\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := edit(t, tt.in, func(f *File) error { return f.Set(tt.directive, tt.lines) })
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSetTwiceAddsOneMarker(t *testing.T) {
	got := edit(t, "port 6379\n", func(f *File) error {
		if err := f.Set("maxmemory", []string{"maxmemory 1gb"}); err != nil {
			return err
		}
		if err := f.Set("appendonly", []string{"appendonly yes"}); err != nil {
			return err
		}
		return f.Set("maxmemory", []string{"maxmemory 2gb"})
	})
	want := "port 6379\n" + Marker + "\nmaxmemory 2gb\nappendonly yes\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestSetRejectsBadLines(t *testing.T) {
	for _, lines := range [][]string{
		{`requirepass "unclosed`},
		{"port 1\nport 2"},
		{"save 1 1", "bad 'x"},
	} {
		f, err := Parse([]byte("port 6379\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Set("port", lines); err == nil {
			t.Errorf("Set(%q) succeeded, want an error", lines)
		}
		if got := string(f.Bytes()); got != "port 6379\n" {
			t.Errorf("failed Set changed the file to %q", got)
		}
	}
}

// TestSetKeepsOtherLines edits the sample and checks that every line not
// belonging to the edited directive is still there, byte for byte, in order.
func TestSetKeepsOtherLines(t *testing.T) {
	edits := []struct {
		directive string
		lines     []string
	}{
		{"save", []string{"save 900 1"}},
		{"save", []string{`save ""`}},
		{"maxmemory", []string{"maxmemory 4gb"}},
		{"client-output-buffer-limit", []string{"client-output-buffer-limit pubsub 32mb 8mb 60"}},
		{"stop-writes-on-bgsave-error", []string{"stop-writes-on-bgsave-error no"}},
		{"loglevel", []string{"loglevel warning"}},
		{"appendfsync", []string{"appendfsync always"}},
		{"include", nil},
		{"rename-command", nil},
	}
	for _, e := range edits {
		t.Run(e.directive, func(t *testing.T) {
			got := edit(t, sample, func(f *File) error { return f.Set(e.directive, e.lines) })
			assertOthersKept(t, sample, got, e.directive)
			f, _ := Parse([]byte(got))
			idx := f.Find(e.directive)
			if len(idx) != len(e.lines) {
				t.Fatalf("Find(%q) after Set = %v, want %d lines", e.directive, idx, len(e.lines))
			}
			for i, j := range idx {
				if strings.TrimRight(f.Lines[j].Raw, "\r") != e.lines[i] {
					t.Errorf("line %d = %q, want %q", j+1, f.Lines[j].Raw, e.lines[i])
				}
			}
		})
	}
}

func TestRemove(t *testing.T) {
	for _, directive := range []string{"save", "SAVE", "include", "rename-command", "maxmemory", "loglevel", "absent"} {
		t.Run(directive, func(t *testing.T) {
			got := edit(t, sample, func(f *File) error { f.Remove(directive); return nil })
			assertOthersKept(t, sample, got, directive)
			f, _ := Parse([]byte(got))
			if idx := f.Find(directive); len(idx) != 0 {
				t.Errorf("Find(%q) after Remove = %v", directive, idx)
			}
		})
	}
	got := edit(t, "save 1 1\nsave 2 2\n", func(f *File) error { f.Remove("save"); return nil })
	if got != "" {
		t.Errorf("removing every line left %q", got)
	}
}

// assertOthersKept checks that the lines of before that do not set directive
// appear in after in the same order and byte for byte, and that after has no
// other lines except ones setting directive and the marker (which Set may
// add).
func assertOthersKept(t *testing.T, before, after, directive string) {
	t.Helper()
	fb, err := Parse([]byte(before))
	if err != nil {
		t.Fatal(err)
	}
	fa, err := Parse([]byte(after))
	if err != nil {
		t.Fatal(err)
	}
	directive = strings.ToLower(directive)
	var kept, got []string
	for _, l := range fb.Lines {
		if l.Directive != directive && strings.TrimRight(l.Raw, "\r") != Marker {
			kept = append(kept, l.Raw)
		}
	}
	for _, l := range fa.Lines {
		if l.Directive != directive && strings.TrimRight(l.Raw, "\r") != Marker {
			got = append(got, l.Raw)
		}
	}
	if !slices.Equal(kept, got) {
		t.Errorf("other lines changed:\nbefore %q\nafter  %q", kept, got)
	}
}

func TestSetWhere(t *testing.T) {
	in := "slaveof 10.0.0.1 6379\r\n" +
		"rename-command FLUSHALL x1\n" +
		"# replicaof 10.0.0.9 6379\n" +
		"rename-command flushdb x2\n" +
		"replicaof 10.0.0.2 6379\n" +
		"rename-command flushall x3"
	replica := func(l Line) bool { return l.Directive == "replicaof" || l.Directive == "slaveof" }
	flushall := func(l Line) bool {
		return l.Directive == "rename-command" && len(l.Args) > 0 && strings.EqualFold(l.Args[0], "FLUSHALL")
	}
	got := edit(t, in, func(f *File) error {
		if err := f.SetWhere(replica, []string{"replicaof 10.0.0.3 6380"}); err != nil {
			return err
		}
		return f.SetWhere(flushall, []string{"rename-command FLUSHALL y1"})
	})
	want := "replicaof 10.0.0.3 6380\r\n" +
		"rename-command FLUSHALL y1\n" +
		"# replicaof 10.0.0.9 6379\n" +
		"rename-command flushdb x2\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}

	f, err := Parse([]byte("port 6379\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetWhere(replica, []string{"replicaof a 1\nport 1"}); err == nil {
		t.Error("SetWhere accepted a line with a newline")
	}
	if err := f.SetWhere(replica, []string{`replicaof "a`}); err == nil {
		t.Error("SetWhere accepted a line with an unclosed quote")
	}
	if got := string(f.Bytes()); got != "port 6379\n" {
		t.Errorf("a failed SetWhere changed the file: %q", got)
	}
}

// Only the last line may lack a newline. When an edit drops it, the lines
// left keep theirs, a blank one included.
func TestDropLastLineKeepsNewlines(t *testing.T) {
	tests := []struct {
		name, in, want string
		fn             func(f *File) error
	}{
		{"Set drops a later duplicate", "0\n\n0", "0 v\n\n", func(f *File) error { return f.Set("0", []string{"0 v"}) }},
		{"Set with no lines", "x\n\nsave 1 1", "x\n\n", func(f *File) error { return f.Set("save", nil) }},
		{"Set replaces the last line", "x\nsave 1 1", "x\nsave 2 2", func(f *File) error { return f.Set("save", []string{"save 2 2"}) }},
		{"Remove", "x\r\n\r\nsave 1 1", "x\r\n\r\n", func(f *File) error { f.Remove("save"); return nil }},
		{"Remove elsewhere", "save 1 1\nx", "x", func(f *File) error { f.Remove("save"); return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := edit(t, tt.in, tt.fn); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
