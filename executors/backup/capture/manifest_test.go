package capture

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAOFManifest(t *testing.T) {
	type E = AOFManifestEntry
	tests := []struct {
		name string
		in   string
		want []E
	}{
		{
			name: "as Redis writes it",
			in:   "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
			want: []E{{"appendonly.aof.1.base.rdb", 1, 'b'}, {"appendonly.aof.1.incr.aof", 1, 'i'}},
		},
		{
			name: "history and several incr files",
			in: "file appendonly.aof.2.base.rdb seq 2 type b\n" +
				"file appendonly.aof.1.base.rdb seq 1 type h\n" +
				"file appendonly.aof.1.incr.aof seq 1 type h\n" +
				"file appendonly.aof.2.incr.aof seq 2 type i\n" +
				"file appendonly.aof.3.incr.aof seq 3 type i\n",
			want: []E{
				{"appendonly.aof.2.base.rdb", 2, 'b'}, {"appendonly.aof.1.base.rdb", 1, 'h'},
				{"appendonly.aof.1.incr.aof", 1, 'h'}, {"appendonly.aof.2.incr.aof", 2, 'i'},
				{"appendonly.aof.3.incr.aof", 3, 'i'},
			},
		},
		{
			name: "quoted name with a space",
			in:   "file \"my aof.1.base.rdb\" seq 1 type b\n",
			want: []E{{"my aof.1.base.rdb", 1, 'b'}},
		},
		{
			name: "escapes in double quotes",
			in:   `file "a\x41\x7e\n\t\"q\z\b\a\r" seq 2 type i` + "\n",
			want: []E{{"aA~\n\t\"qz\b\a\r", 2, 'i'}},
		},
		{
			name: "an incomplete hex escape is the letter",
			in:   `file "a\xZ" seq 1 type b` + "\n",
			want: []E{{"axZ", 1, 'b'}},
		},
		{
			name: "single quotes",
			in:   `file 'it\'s "here".aof' seq 1 type i` + "\n",
			want: []E{{`it's "here".aof`, 1, 'i'}},
		},
		{
			name: "quotes inside a word",
			in:   `file ab"c d" seq 1 type i` + "\n",
			want: []E{{"abc d", 1, 'i'}},
		},
		{
			name: "keys in any order and case, unknown keys ignored",
			in:   "TYPE b Seq 3 size 10 FILE x.rdb\n",
			want: []E{{"x.rdb", 3, 'b'}},
		},
		{
			name: "comments, CRLF and extra blanks",
			in:   "# written by hand\n  file   x.rdb\tseq 1 type b  \r\n",
			want: []E{{"x.rdb", 1, 'b'}},
		},
		{
			name: "the type is the value's first byte",
			in:   "file x.rdb seq 1 type base\n",
			want: []E{{"x.rdb", 1, 'b'}},
		},
		{
			name: "only comments",
			in:   "# nothing\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAOFManifest([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseAOFManifest (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAOFManifestErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"blank line", "file x seq 1 type b\n\nfile y seq 1 type i\n", "line 2 \"\": is blank"},
		{"no final newline", "file x seq 1 type b", "does not end with a newline"},
		{"line too long", "file " + strings.Repeat("x", 1010) + " seq 1 type b\n", "within 1024 bytes"},
		{"too few words", "file x seq 1 type\n", "key/value pairs"},
		{"odd words", "file x seq 1 type b extra\n", "key/value pairs"},
		{"no seq", "file x sequence 1 type b\n", "non-zero seq"},
		{"zero seq", "file x seq 0 type b\n", "non-zero seq"},
		{"seq not a number", "file x seq one type b\n", `seq "one" is not a number`},
		{"path", "file ../x seq 1 type b\n", "not a plain file name"},
		{"backslash path", `file "a\\b" seq 1 type b` + "\n", "not a plain file name"},
		{"dot dot", "file .. seq 1 type b\n", "not a plain file name"},
		{"unknown type", "file x seq 1 type x\n", `unknown file type "x"`},
		{"two bases", "file x seq 1 type b\nfile y seq 2 type b\n", "a second base file"},
		{"incr out of order", "file x seq 2 type i\nfile y seq 2 type i\n", "incr seq 2 does not follow 2"},
		{"unbalanced double quote", "file \"x seq 1 type b\n", "unbalanced quotes"},
		{"unbalanced single quote", "file 'x seq 1 type b\n", "unbalanced quotes"},
		{"closing quote then a letter", "file \"x\"y seq 1 type b\n", "closing quote"},
		{"NUL byte", "file x\x00 seq 1 type b\n", "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAOFManifest([]byte(tt.in))
			if err == nil {
				t.Fatalf("got %v, want an error containing %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
