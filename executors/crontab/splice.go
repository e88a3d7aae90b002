package crontab

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/redisplan/redisplan/internal/owner"
)

// Splice returns current with the block of target, from its BeginMarker
// line to its EndMarker line inclusive, replaced by lines.
//
// lines is the block as Lines returns it, markers included; markers that
// are missing are added, so that the next Splice finds the block. When
// current has no block for target, lines are appended at the end, after a
// newline if current does not end with one. Nil or empty lines remove the
// block. Further complete blocks of the same target (a copy made by hand)
// are removed as well.
//
// Every byte outside the target's blocks is kept: other targets' blocks,
// comments, environment lines, "\r\n" endings, a missing final newline
// (unless the block is appended after it). A begin marker with no end
// marker before the next begin marker or the end of the file opens no
// block, since its extent is unknown: the lines after it are kept as
// someone else's.
func Splice(current []byte, target string, lines []string) []byte {
	begin, end := BeginMarker(target), EndMarker(target)
	block := blockText(lines, begin, end)

	var out bytes.Buffer
	out.Grow(len(current) + len(block))
	found := false
	rest := current
	for {
		start, stop, ok := findBlock(rest, begin, end)
		if !ok {
			break
		}
		out.Write(rest[:start])
		if !found {
			out.WriteString(block)
			found = true
		}
		rest = rest[stop:]
	}
	out.Write(rest)
	if !found && block != "" {
		if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			out.WriteByte('\n')
		}
		out.WriteString(block)
	}
	return out.Bytes()
}

// SpliceOwned is Splice for apply: it refuses to replace or remove a block
// whose owner line names another owner than lines' (or, when lines is
// empty, any owner but want). A block without an owner line, written by
// an older redisplan, is replaced: the plan decided to adopt it.
func SpliceOwned(current []byte, name string, lines []string, want owner.Owner) ([]byte, error) {
	if have, recorded := owner.FindLines(Block(current, name)); recorded && !want.Claims(have) {
		whose := "an owner line redisplan cannot read"
		if !have.IsZero() {
			whose = have.String()
		}
		return nil, fmt.Errorf("the block %q belongs to %s, not to %s, so it is left alone", name, whose, want)
	}
	return Splice(current, name, lines), nil
}

// Block returns the lines of target's block in current, markers included
// and line endings removed, or nil when there is none. It finds the block
// Splice would replace, so a plan that compares Block with Lines agrees
// with what Splice then does.
func Block(current []byte, target string) []string {
	start, stop, ok := findBlock(current, BeginMarker(target), EndMarker(target))
	if !ok {
		return nil
	}
	var lines []string
	for line := range strings.Lines(string(current[start:stop])) {
		lines = append(lines, strings.TrimRight(line, "\r\n"))
	}
	return lines
}

// blockText returns lines as crontab text ending with a newline (cron
// ignores a last line without one), adding the markers when missing.
func blockText(lines []string, begin, end string) string {
	if len(lines) == 0 {
		return ""
	}
	lines = slices.Clone(lines)
	if strings.TrimSpace(lines[0]) != begin {
		lines = slices.Insert(lines, 0, begin)
	}
	if strings.TrimSpace(lines[len(lines)-1]) != end {
		lines = append(lines, end)
	}
	return strings.Join(lines, "\n") + "\n"
}

// findBlock returns the byte range of the first complete block in data:
// from the start of the last begin line before the first end line that
// follows one, to just after the newline ending that end line (or the end
// of data when it has none). Marker lines
// are compared without surrounding spaces and "\r".
func findBlock(data []byte, begin, end string) (start, stop int, ok bool) {
	start = -1
	for pos := 0; pos < len(data); {
		next := len(data)
		if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
			next = pos + i + 1
		}
		line := strings.TrimSpace(string(data[pos:next]))
		switch {
		case line == begin:
			// The nearest begin line opens the block: an earlier one
			// without an end of its own is left alone.
			start = pos
		case start >= 0 && line == end:
			return start, next, true
		}
		pos = next
	}
	return 0, 0, false
}
