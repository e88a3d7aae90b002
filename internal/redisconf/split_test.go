package redisconf

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{}},
		{"blanks only", " \t\r\n\v\f", []string{}},
		{"one word", "port", []string{"port"}},
		{"words", "save 3600 1", []string{"save", "3600", "1"}},
		{"runs of blanks", "  save\t\t3600   1  ", []string{"save", "3600", "1"}},
		{"double quoted", `requirepass "a b"`, []string{"requirepass", "a b"}},
		{"empty double quoted", `save ""`, []string{"save", ""}},
		{"empty single quoted", `save ''`, []string{"save", ""}},
		{"escaped quote", `requirepass "a b\"c"`, []string{"requirepass", `a b"c`}},
		{"escaped backslash", `dir "C:\\redis"`, []string{"dir", `C:\redis`}},
		{"short escapes", `x "\n\r\t\b\a"`, []string{"x", "\n\r\t\b\a"}},
		{"unknown escape is the char", `x "\q\'\ "`, []string{"x", `q' `}},
		{"hex escape", `x "\x41\x6a\xFF\x00"`, []string{"x", "Aj\xff\x00"}},
		{"short hex is literal", `x "\x4"`, []string{"x", "x4"}},
		{"bad hex is literal", `x "\xZZ"`, []string{"x", "xZZ"}},
		{"hex at the end", `x "\x41"`, []string{"x", "A"}},
		{"single quoted", `x 'a b'`, []string{"x", "a b"}},
		{"single quoted escape", `x 'it\'s'`, []string{"x", "it's"}},
		{"single quoted keeps backslashes", `x 'a\nb\\c'`, []string{"x", `a\nb\\c`}},
		{"single quoted keeps double quotes", `x 'say "hi"'`, []string{"x", `say "hi"`}},
		{"double quoted keeps single quotes", `x "it's"`, []string{"x", "it's"}},
		{"quote inside a word", `x foo"bar baz"`, []string{"x", "foobar baz"}},
		{"single quote inside a word", `x foo'bar'`, []string{"x", "foobar"}},
		{"backslash in a bare word", `x a\nb`, []string{"x", `a\nb`}},
		{"hash inside a line", "port 6379 # comment", []string{"port", "6379", "#", "comment"}},
		{"quote followed by tab", "x \"a\"\ty", []string{"x", "a", "y"}},
		{"quote followed by vertical tab", "x \"a\"\vy", []string{"x", "a", "y"}},
		{"vertical tab inside a bare word", "x a\vb", []string{"x", "a\vb"}},
		{"leading vertical tab skipped", "\vx", []string{"x"}},
		{"utf-8", `x "héllo wörld" ünï`, []string{"x", "héllo wörld", "ünï"}},
		{"crlf", "port 6379\r", []string{"port", "6379"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitArgs(tt.in)
			if err != nil {
				t.Fatalf("SplitArgs(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SplitArgs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitArgsErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"unclosed double", `requirepass "abc`, "unbalanced quotes"},
		{"unclosed single", `requirepass 'abc`, "unbalanced quotes"},
		{"lone double", `"`, "unbalanced quotes"},
		{"escaped closing quote", `x "abc\"`, "unbalanced quotes"},
		{"backslash at the end", `x "abc\`, "unbalanced quotes"},
		{"single quoted backslash at the end", `x 'abc\'`, "unbalanced quotes"},
		{"text after double", `x "foo"bar`, "closing quote must be followed by a space"},
		{"text after single", `x 'foo'bar`, "closing quote must be followed by a space"},
		{"two quoted parts", `x "a""b"`, "closing quote must be followed by a space"},
		{"nul", "x a\x00b", "NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitArgs(tt.in)
			if err == nil {
				t.Fatalf("SplitArgs(%q) = %q, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SplitArgs(%q) error %q, want it to mention %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", `""`},
		{"6379", "6379"},
		{"allkeys-lru", "allkeys-lru"},
		{"/var/lib/redis", "/var/lib/redis"},
		{"*", "*"},
		{"-::*", "-::*"},
		{"g$lshzxe", "g$lshzxe"},
		{"{title}", "{title}"},
		{"a b", `"a b"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"it's", `"it's"`},
		{"#notacomment", `"#notacomment"`},
		{"a#b", "a#b"},
		{"tab\there", `"tab\there"`},
		{"line\nbreak", `"line\nbreak"`},
		{"\r\a\b", `"\r\a\b"`},
		{"\x00\x01\x7f\v\f", `"\x00\x01\x7f\x0b\x0c"`},
		{"héllo", `"héllo"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{"{title} {listen-addr} {server-mode}", `"{title} {listen-addr} {server-mode}"`},
	}
	for _, tt := range tests {
		got := Quote(tt.in)
		if got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
		back, err := SplitArgs(got)
		if err != nil || len(back) != 1 || back[0] != tt.in {
			t.Errorf("SplitArgs(Quote(%q)) = %q, %v", tt.in, back, err)
		}
	}
}

func TestFormatLine(t *testing.T) {
	tests := []struct {
		directive string
		args      []string
		want      string
	}{
		{"port", []string{"6379"}, "port 6379"},
		{"save", []string{"3600", "1"}, "save 3600 1"},
		{"save", []string{""}, `save ""`},
		{"requirepass", []string{`a b"c`}, `requirepass "a b\"c"`},
		{"bind", []string{"127.0.0.1", "-::1"}, "bind 127.0.0.1 -::1"},
		{"dir", []string{"/var/lib/my redis"}, `dir "/var/lib/my redis"`},
		{"daemonize", nil, "daemonize"},
	}
	for _, tt := range tests {
		got := FormatLine(tt.directive, tt.args...)
		if got != tt.want {
			t.Errorf("FormatLine(%q, %q) = %s, want %s", tt.directive, tt.args, got, tt.want)
		}
		back, err := SplitArgs(got)
		if err != nil || !slices.Equal(back, append([]string{tt.directive}, tt.args...)) {
			t.Errorf("SplitArgs(%s) = %q, %v", got, back, err)
		}
	}
}
