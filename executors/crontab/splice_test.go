package crontab

import (
	"strings"
	"testing"
)

func TestSplice(t *testing.T) {
	block := []string{
		BeginMarker("main"),
		"0 3 * * * /usr/bin/redisplan backup run -target main",
		EndMarker("main"),
	}
	const newBlock = "# BEGIN redisplan main\n0 3 * * * /usr/bin/redisplan backup run -target main\n# END redisplan main\n"
	const oldBlock = "# BEGIN redisplan main\n*/5 * * * * old job\n# END redisplan main\n"
	tests := []struct {
		name    string
		current string
		target  string
		lines   []string
		want    string
	}{
		{"append to empty", "", "main", block, newBlock},
		{"append after content with trailing newline", "MAILTO=ops\n", "main", block, "MAILTO=ops\n" + newBlock},
		{"append after content without trailing newline", "MAILTO=ops", "main", block, "MAILTO=ops\n" + newBlock},
		{
			"replace in the middle",
			"SHELL=/bin/sh\r\n# mine\n" + oldBlock + "  1 2 * * * other  \n# trailing comment",
			"main", block,
			"SHELL=/bin/sh\r\n# mine\n" + newBlock + "  1 2 * * * other  \n# trailing comment",
		},
		{
			"replace a block whose end marker has no newline",
			"x\n# BEGIN redisplan main\nold\n# END redisplan main",
			"main", block,
			"x\n" + newBlock,
		},
		{
			"markers with stray spaces and CR",
			"x\n  # BEGIN redisplan main\r\nold\r\n# END redisplan main \r\ny\n",
			"main", block,
			"x\n" + newBlock + "y\n",
		},
		{"remove", "a\n" + oldBlock + "b\n", "main", nil, "a\nb\n"},
		{"remove with empty lines", "a\n" + oldBlock, "main", []string{}, "a\n"},
		{"remove absent", "a\nb", "main", nil, "a\nb"},
		{"remove a copied block too", oldBlock + "a\n" + oldBlock + "b\n", "main", nil, "a\nb\n"},
		{"replace the first of copied blocks", "a\n" + oldBlock + "b\n" + oldBlock, "main", block, "a\n" + newBlock + "b\n"},
		{
			"markers added when missing",
			"a\n", "main", []string{"0 3 * * * job"},
			"a\n# BEGIN redisplan main\n0 3 * * * job\n# END redisplan main\n",
		},
		{
			"begin without end is not a block",
			"# BEGIN redisplan main\n0 1 * * * user job\n", "main", block,
			"# BEGIN redisplan main\n0 1 * * * user job\n" + newBlock,
		},
		{
			"other targets are not matched by prefix",
			"# BEGIN redisplan main-2\nx\n# END redisplan main-2\n", "main", block,
			"# BEGIN redisplan main-2\nx\n# END redisplan main-2\n" + newBlock,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Splice([]byte(tt.current), tt.target, tt.lines))
			if got != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
			if block := Block([]byte(got), tt.target); len(tt.lines) > 0 && strings.Join(block, "\n")+"\n" != blockText(tt.lines, BeginMarker(tt.target), EndMarker(tt.target)) {
				t.Errorf("Block after Splice = %q", block)
			} else if len(tt.lines) == 0 && block != nil {
				t.Errorf("Block after removing = %q", block)
			}
			if again := string(Splice([]byte(got), tt.target, tt.lines)); again != got {
				t.Errorf("splicing twice changed the crontab:\n%q\nthen\n%q", got, again)
			}
		})
	}
}

func TestSpliceTwoTargets(t *testing.T) {
	a1 := []string{BeginMarker("a"), "1 * * * * a1", EndMarker("a")}
	a2 := []string{BeginMarker("a"), "2 * * * * a2", EndMarker("a")}
	b1 := []string{BeginMarker("b"), "1 * * * * b1", EndMarker("b")}
	const head = "# system jobs\n0 0 * * * root true\n"

	cur := Splice([]byte(head), "a", a1)
	cur = Splice(cur, "b", b1)
	want := head + strings.Join(a1, "\n") + "\n" + strings.Join(b1, "\n") + "\n"
	if string(cur) != want {
		t.Fatalf("got\n%s\nwant\n%s", cur, want)
	}

	cur = Splice(cur, "a", a2)
	want = head + strings.Join(a2, "\n") + "\n" + strings.Join(b1, "\n") + "\n"
	if string(cur) != want {
		t.Fatalf("replacing a: got\n%s\nwant\n%s", cur, want)
	}

	cur = Splice(cur, "a", nil)
	want = head + strings.Join(b1, "\n") + "\n"
	if string(cur) != want {
		t.Fatalf("removing a: got\n%s\nwant\n%s", cur, want)
	}

	cur = Splice(cur, "b", nil)
	if string(cur) != head {
		t.Fatalf("removing b: got\n%q\nwant\n%q", cur, head)
	}
}

func TestSpliceDoesNotModifyLines(t *testing.T) {
	backing := make([]string, 1, 4)
	backing[0] = "0 3 * * * job"
	lines := backing[:1]
	Splice(nil, "main", lines)
	if full := backing[:cap(backing)]; full[1] != "" {
		t.Errorf("Splice wrote into the caller's array: %q", full)
	}
}

func TestBlock(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"none", "0 1 * * * job\n", nil},
		{"CRLF", "x\r\n# BEGIN redisplan main\r\njob\r\n# END redisplan main\r\n", []string{"# BEGIN redisplan main", "job", "# END redisplan main"}},
		{"no end", "# BEGIN redisplan main\njob\n", nil},
		{"orphan begin first", "# BEGIN redisplan main\nmine\n# BEGIN redisplan main\njob\n# END redisplan main", []string{"# BEGIN redisplan main", "job", "# END redisplan main"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Block([]byte(tt.content), "main")
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || (got == nil) != (tt.want == nil) {
				t.Errorf("Block = %q, want %q", got, tt.want)
			}
		})
	}
}
