// Package redisconf reads and edits redis.conf files without disturbing them.
//
// Parse keeps every line exactly as it was, so a File written back with
// Bytes is identical to the input, byte for byte, until it is edited. Set and
// Remove touch only the lines of the directive they are given; comments,
// blank lines, unknown directives, include and rename-command lines and the
// line endings of all other lines are left alone.
//
// Directive names are compared in lower case, as Redis does. File knows
// nothing about aliases (slaveof and replicaof are different directives
// there); the catalog-aware functions resolve them through a Catalog:
// Render writes a target's file, DirectiveLines a directive's lines,
// Values reads what a file sets, and ApplyEdits changes the managed
// directives of an existing file. None of them does I/O: writing the file
// is executors/conffile's.
package redisconf

import (
	"bytes"
	"fmt"
	"strings"
)

// Marker is the comment line under which Set appends directives that the file
// did not have yet.
const Marker = "# Managed by redisplan"

// Line is one line of a configuration file.
type Line struct {
	Raw       string   // the line exactly as in the file, without the trailing newline
	Directive string   // lowercased first token; "" for blank and comment lines
	Args      []string // remaining tokens, unquoted
}

// File is a parsed configuration file.
type File struct {
	Lines []Line

	// finalNewline records whether the last line ended with "\n".
	finalNewline bool
}

// Parse splits data into lines (separated by "\n"; a "\r" before it stays part
// of the line's Raw text) and reads each line the way Redis does: surrounding
// spaces, tabs and carriage returns are ignored, a line whose first remaining
// character is '#' is a comment, and everything else is split with SplitArgs.
//
// A line that SplitArgs rejects makes Parse fail with an error naming the
// line number, as Redis refuses to start with such a file.
func Parse(data []byte) (*File, error) {
	f := &File{}
	if len(data) == 0 {
		return f, nil
	}
	text := string(data)
	if strings.HasSuffix(text, "\n") {
		f.finalNewline = true
		text = text[:len(text)-1]
	}
	raws := strings.Split(text, "\n")
	f.Lines = make([]Line, 0, len(raws))
	for i, raw := range raws {
		line, err := parseLine(raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		f.Lines = append(f.Lines, line)
	}
	return f, nil
}

// parseLine reads one line, which must not contain "\n".
func parseLine(raw string) (Line, error) {
	line := Line{Raw: raw}
	// Redis trims exactly these characters before looking at a line.
	trimmed := strings.Trim(raw, " \t\r\n")
	if trimmed == "" || trimmed[0] == '#' {
		return line, nil
	}
	args, err := SplitArgs(trimmed)
	if err != nil {
		return line, err
	}
	if len(args) == 0 {
		// Only whitespace that Redis does not trim, such as \v or \f.
		return line, nil
	}
	line.Directive = lowerASCII(args[0])
	line.Args = args[1:]
	return line, nil
}

// Bytes returns the file's content. For a File returned by Parse and not
// edited since, it is exactly the data given to Parse.
func (f *File) Bytes() []byte {
	if len(f.Lines) == 0 {
		return []byte{}
	}
	var b bytes.Buffer
	for i, l := range f.Lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Raw)
	}
	if f.finalNewline {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Find returns the indexes in f.Lines of the lines that set directive,
// compared case-insensitively, in file order.
func (f *File) Find(directive string) []int {
	directive = lowerASCII(directive)
	var idx []int
	for i, l := range f.Lines {
		if l.Directive != "" && l.Directive == directive {
			idx = append(idx, i)
		}
	}
	return idx
}

// Set makes lines the only place where directive is set.
//
// lines are complete configuration lines, usually built with FormatLine; there
// may be several (one per save point, for instance) or none, which is the same
// as Remove. If the file already sets directive, the first such line is
// replaced by lines and later ones are removed. Otherwise lines are appended
// at the end of the file under the Marker comment, which is added once and
// reused when it is already there.
//
// Replacement lines keep the "\r" ending of the line they replace; appended
// lines use "\r\n" when most of the file does. Every other line is kept byte
// for byte. Set returns an error, and changes nothing, if one of lines is not
// a single line or does not parse.
func (f *File) Set(directive string, lines []string) error {
	name := lowerASCII(directive)
	match := func(l Line) bool { return l.Directive != "" && l.Directive == name }
	if err := f.SetWhere(match, lines); err != nil {
		return fmt.Errorf("set %s: %w", directive, err)
	}
	return nil
}

// SetWhere is Set for the lines that match reports true for, which lets a
// caller treat aliases as one directive or edit only the rename-command line
// of one command. match is called once for every line of the file as it is
// before the edit, comments and blank lines included.
//
// The first matching line is replaced by lines and the other matching lines
// are removed; without a matching line, lines are appended under the Marker
// comment as Set does. It is the caller's job to make lines match too, so
// that a second SetWhere with the same arguments changes nothing.
func (f *File) SetWhere(match func(Line) bool, lines []string) error {
	parsed := make([]Line, 0, len(lines))
	for _, raw := range lines {
		if strings.Contains(raw, "\n") {
			return fmt.Errorf("%q is more than one line", raw)
		}
		l, err := parseLine(raw)
		if err != nil {
			return fmt.Errorf("%q: %w", raw, err)
		}
		parsed = append(parsed, l)
	}

	first := -1
	matched := make([]bool, len(f.Lines))
	for i, l := range f.Lines {
		if match(l) {
			matched[i] = true
			if first < 0 {
				first = i
			}
		}
	}
	if first < 0 {
		if len(parsed) > 0 {
			f.appendManaged(parsed)
		}
		return nil
	}

	if strings.HasSuffix(f.Lines[first].Raw, "\r") {
		withCR(parsed)
	}
	out := make([]Line, 0, len(f.Lines)+len(parsed))
	for i, l := range f.Lines {
		switch {
		case i == first:
			out = append(out, parsed...)
		case matched[i]:
			// a later duplicate: dropped
		default:
			out = append(out, l)
		}
	}
	last := len(f.Lines) - 1
	f.keepEndings(matched[last] && (last != first || len(parsed) == 0))
	f.Lines = out
	return nil
}

// Remove deletes every line that sets directive.
func (f *File) Remove(directive string) {
	directive = lowerASCII(directive)
	if len(f.Lines) == 0 {
		return
	}
	f.keepEndings(f.Lines[len(f.Lines)-1].Directive == directive)
	out := f.Lines[:0]
	for _, l := range f.Lines {
		if l.Directive == "" || l.Directive != directive {
			out = append(out, l)
		}
	}
	clear(f.Lines[len(out):])
	f.Lines = out
}

// keepEndings is called before an edit that may drop the last line. Only
// the last line of a file can lack a newline; once it is gone, every line
// left had one, and keeping finalNewline false would take the newline off
// the new last line (and lose it entirely if that line is blank).
func (f *File) keepEndings(lastDropped bool) {
	if lastDropped {
		f.finalNewline = true
	}
}

// appendManaged adds lines to the block that starts at the Marker comment,
// creating the block at the end of the file if there is none.
func (f *File) appendManaged(lines []Line) {
	if f.mostlyCRLF() {
		withCR(lines)
	}
	marker := -1
	for i, l := range f.Lines {
		if strings.TrimRight(l.Raw, "\r") == Marker {
			marker = i
			break
		}
	}
	if marker < 0 {
		m := Line{Raw: Marker}
		if f.mostlyCRLF() {
			m.Raw += "\r"
		}
		f.Lines = append(f.Lines, m)
		f.Lines = append(f.Lines, lines...)
		f.finalNewline = true
		return
	}
	// The managed block is the marker and the directive lines right after
	// it; new lines go at its end.
	end := marker + 1
	for end < len(f.Lines) && f.Lines[end].Directive != "" {
		end++
	}
	if end == len(f.Lines) {
		f.finalNewline = true
	}
	f.Lines = append(f.Lines[:end], append(lines, f.Lines[end:]...)...)
}

func (f *File) mostlyCRLF() bool {
	cr := 0
	for _, l := range f.Lines {
		if strings.HasSuffix(l.Raw, "\r") {
			cr++
		}
	}
	return cr*2 > len(f.Lines)
}

func withCR(lines []Line) {
	for i := range lines {
		if !strings.HasSuffix(lines[i].Raw, "\r") {
			lines[i].Raw += "\r"
		}
	}
}

// lowerASCII and upperASCII change the case of ASCII letters only, byte by
// byte, as Redis does when it compares directive and command names. A
// string without a letter to change is returned as it is.
func lowerASCII(s string) string { return mapASCII(s, 'A', 'Z', 'a') }

func upperASCII(s string) string { return mapASCII(s, 'a', 'z', 'A') }

// mapASCII moves the bytes from lo to hi to the range starting at to.
func mapASCII(s string, lo, hi, to byte) string {
	for i := 0; i < len(s); i++ {
		if lo <= s[i] && s[i] <= hi {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if lo <= b[j] && b[j] <= hi {
					b[j] = b[j] - lo + to
				}
			}
			return string(b)
		}
	}
	return s
}
