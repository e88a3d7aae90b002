package capture

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redisplan/redisplan/internal/redisconf"
)

// AOF file types in a manifest.
const (
	AOFBase    byte = 'b' // the snapshot the last rewrite wrote
	AOFHistory byte = 'h' // replaced by a rewrite, waiting to be deleted
	AOFIncr    byte = 'i' // commands since the base, in seq order
)

// maxManifestLine is the longest manifest line Redis reads, newline
// included (MANIFEST_MAX_LINE in aof.c).
const maxManifestLine = 1024

// AOFManifestEntry is one line of a Redis 7 AOF manifest:
//
//	file appendonly.aof.1.base.rdb seq 1 type b
type AOFManifestEntry struct {
	Name string
	Seq  int64
	Type byte // AOFBase, AOFHistory or AOFIncr
}

// ParseAOFManifest parses the content of an AOF manifest
// (appendonly.aof.manifest) with the rules Redis applies when it loads one
// (aofLoadManifestFromFile), so that a manifest it accepts is one Redis
// starts from:
//
//   - every line ends with "\n" and is at most 1024 bytes long;
//   - lines starting with "#" are comments; blank lines are errors;
//   - a line is split like redis.conf arguments (sdssplitargs): names
//     with spaces or unusual bytes are written in double quotes with
//     backslash escapes (\n, \r, \t, \b, \a, \xHH, \\, \"), and single
//     quotes are read too;
//   - a line is key/value pairs: at least file, seq and type, in any
//     order and case; unknown keys are ignored;
//   - file is a plain file name, seq a non-zero number, type one of b, h
//     and i (the first byte of the value);
//   - there is at most one base, and incr seqs increase.
//
// Entries come back in file order.
func ParseAOFManifest(content []byte) ([]AOFManifestEntry, error) {
	if len(content) == 0 {
		return nil, errors.New("the AOF manifest is empty")
	}
	if bytes.IndexByte(content, 0) >= 0 {
		return nil, errors.New("the AOF manifest contains a NUL byte")
	}
	var (
		entries  []AOFManifestEntry
		haveBase bool
		maxIncr  int64
	)
	rest := string(content)
	for lineNum := 1; rest != ""; lineNum++ {
		raw, after, found := strings.Cut(rest, "\n")
		rest = after
		if strings.HasPrefix(raw, "#") {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("AOF manifest line %d %q: %s", lineNum, truncate(raw), fmt.Sprintf(format, args...))
		}
		if !found || len(raw)+1 > maxManifestLine {
			return nil, bad("does not end with a newline within %d bytes", maxManifestLine)
		}
		line := strings.Trim(raw, " \t\r\n")
		if line == "" {
			return nil, bad("is blank")
		}
		args, err := redisconf.SplitArgs(line)
		if err != nil {
			return nil, bad("%v", err)
		}
		if len(args) < 6 || len(args)%2 != 0 {
			return nil, bad("want key/value pairs: file NAME seq N type T")
		}
		var (
			e                       AOFManifestEntry
			hasName, hasSeq, hasTyp bool
		)
		for i := 0; i < len(args); i += 2 {
			k, v := args[i], args[i+1]
			switch strings.ToLower(k) {
			case "file":
				e.Name, hasName = v, true
			case "seq":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, bad("seq %q is not a number", v)
				}
				e.Seq, hasSeq = n, n != 0
			case "type":
				if v != "" {
					e.Type, hasTyp = v[0], true
				}
			}
		}
		if !hasName || !hasSeq || !hasTyp {
			return nil, bad("want file, a non-zero seq and type")
		}
		if e.Name == "" || e.Name == "." || e.Name == ".." || strings.ContainsAny(e.Name, `/\`) {
			return nil, bad("file %q is not a plain file name", e.Name)
		}
		switch e.Type {
		case AOFBase:
			if haveBase {
				return nil, bad("a second base file")
			}
			haveBase = true
		case AOFHistory:
		case AOFIncr:
			if e.Seq <= maxIncr {
				return nil, bad("incr seq %d does not follow %d", e.Seq, maxIncr)
			}
			maxIncr = e.Seq
		default:
			return nil, bad("unknown file type %q (want b, h or i)", string(e.Type))
		}
		entries = append(entries, e)
	}
	return entries, nil
}
