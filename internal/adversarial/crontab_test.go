package adversarial

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/crontab"
)

// TestCrontabCorpus splices a new block into every input of
// testdata/adversarial/crontab with crontab.Splice, reads it back with
// crontab.Block and installs the result with CronDFile. want.txt gives,
// per input, the target and how many complete blocks of it the input
// holds:
//
//	NAME TARGET blocks=N
//
// Splice and Block never fail, so the checks are about bytes: everything
// outside the target's complete blocks stays byte for byte, the new block
// reads back as written, a second Splice changes nothing, removing the
// block leaves exactly the rest, and the installer writes only its file.
func TestCrontabCorpus(t *testing.T) {
	dir, want := cases(t, "crontab")
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			if len(w.fields) != 2 || !strings.HasPrefix(w.fields[1], "blocks=") {
				t.Fatalf("want.txt:%d: want NAME TARGET blocks=N", w.line)
			}
			target := w.fields[0]
			nBlocks, _ := strconv.Atoi(strings.TrimPrefix(w.fields[1], "blocks="))
			data := input(t, dir, w.name)
			if got := len(completeBlocks(data, target)); got != nBlocks {
				t.Fatalf("the input holds %d complete blocks of %s by the reference reading, want.txt says %d", got, target, nBlocks)
			}
			spliced, ok := checkSplice(t, data, target)
			if !ok {
				return
			}

			sb := newSandbox(t)
			cronD := filepath.Join(sb.Inside, "cron.d")
			if err := os.Mkdir(cronD, 0o755); err != nil {
				t.Fatal(err)
			}
			sb.Allow(t)
			path := filepath.Join(cronD, "redisplan")
			var err error
			if !guarded(t, "CronDFile.Install", func() {
				err = crontab.CronDFile{Path: path}.Install(guardCtx(t), spliced)
			}) {
				return
			}
			if err != nil {
				t.Fatalf("Install: %v", err)
			}
			sb.Check(t, "CronDFile.Install")
			if got, _ := os.ReadFile(path); !bytes.Equal(got, spliced) {
				t.Errorf("the installed file differs from what was spliced")
			}
			if names := listDir(t, cronD); !slices.Equal(names, []string{"redisplan"}) {
				t.Errorf("Install left %q in cron.d", names)
			}
		})
	}
}

// checkSplice splices a block for target into data and checks the
// result: the block reads back as written, a second Splice changes
// nothing, Splice with no lines leaves exactly what was outside the
// target's complete blocks, and with lines it changes nothing outside
// them either (bar the newline that ends a last line before an appended
// block). It returns the spliced crontab.
func checkSplice(t *testing.T, data []byte, target string) ([]byte, bool) {
	t.Helper()
	lines := []string{
		crontab.BeginMarker(target),
		"0 3 * * * root /usr/local/bin/redisplan backup run -target " + target,
		crontab.EndMarker(target),
	}
	blocks := completeBlocks(data, target)
	var (
		spliced, again, removed []byte
		readBack, before        []string
	)
	if !guarded(t, "crontab.Splice", func() {
		before = crontab.Block(data, target)
		spliced = crontab.Splice(data, target, lines)
		readBack = crontab.Block(spliced, target)
		again = crontab.Splice(spliced, target, lines)
		removed = crontab.Splice(data, target, nil)
	}) {
		return nil, false
	}
	if (before != nil) != (len(blocks) > 0) {
		t.Errorf("Block found %q in the input, which holds %d blocks", before, len(blocks))
	}
	if !slices.Equal(readBack, lines) {
		t.Errorf("Block after Splice = %q, want %q", readBack, lines)
	}
	if !bytes.Equal(again, spliced) {
		t.Errorf("a second Splice changed the crontab")
	}
	rest := outsideBlocks(data, blocks)
	if !bytes.Equal(removed, rest) {
		t.Errorf("Splice with no lines left %d bytes, want the %d bytes outside the blocks", len(removed), len(rest))
	}
	newBlocks := completeBlocks(spliced, target)
	if len(newBlocks) != 1 {
		t.Errorf("after Splice the crontab holds %d blocks of %s, want 1", len(newBlocks), target)
		return spliced, false
	}
	gotRest := outsideBlocks(spliced, newBlocks)
	wantRest := rest
	if len(blocks) == 0 && len(data) > 0 && data[len(data)-1] != '\n' {
		// Appending after a last line without a newline ends that line
		// first: the only byte Splice may add outside the block.
		wantRest = append(slices.Clone(rest), '\n')
	}
	if !bytes.Equal(gotRest, wantRest) {
		t.Errorf("Splice changed bytes outside the block of %s:\n got %q\nwant %q", target, clip(string(gotRest)), clip(string(wantRest)))
	}
	if len(blocks) > 0 && newBlocks[0][0] != blocks[0][0] {
		t.Errorf("the new block starts at byte %d, the first old one did at %d", newBlocks[0][0], blocks[0][0])
	}
	return spliced, true
}

// completeBlocks is a reference reading of the blocks of target, written
// from the documented rule rather than from the code: a line equal to the
// begin marker (ignoring surrounding whitespace) opens a block, a later
// begin line reopens it, and the next end line closes it; the block runs
// from the start of its begin line to the end of its end line.
func completeBlocks(data []byte, target string) [][2]int {
	begin, end := crontab.BeginMarker(target), crontab.EndMarker(target)
	var out [][2]int
	open := -1
	pos := 0
	for line := range bytes.Lines(data) {
		next := pos + len(line)
		switch strings.TrimSpace(string(line)) {
		case begin:
			open = pos
		case end:
			if open >= 0 {
				out = append(out, [2]int{open, next})
				open = -1
			}
		}
		pos = next
	}
	return out
}

// outsideBlocks returns data without the given byte ranges.
func outsideBlocks(data []byte, blocks [][2]int) []byte {
	out := []byte{}
	last := 0
	for _, b := range blocks {
		out = append(out, data[last:b[0]]...)
		last = b[1]
	}
	return append(out, data[last:]...)
}

// TestCronDFileRefusesOddNames: the installer refuses a file name cron
// would skip, and a missing directory, without writing anything.
func TestCronDFileRefusesOddNames(t *testing.T) {
	sb := newSandbox(t)
	for _, p := range []string{
		filepath.Join(sb.Inside, "redisplan.conf"),
		filepath.Join(sb.Inside, "..", "outside", "x.bak"),
		filepath.Join(sb.Inside, "missing", "redisplan"),
		filepath.Join(sb.Inside, "with space"),
		filepath.Join(sb.Inside, "new\nline"),
	} {
		err := crontab.CronDFile{Path: p}.Install(guardCtx(t), []byte("* * * * * root true\n"))
		if err == nil {
			t.Errorf("Install(%q) succeeded", p)
			continue
		}
		if !strings.Contains(err.Error(), "cron ignores") && !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("Install(%q): %v: the message does not say why", p, err)
		}
	}
	sb.Check(t, "CronDFile.Install")
	if names := listDir(t, sb.Inside); len(names) != 0 {
		t.Errorf("Install left %q", names)
	}
}
