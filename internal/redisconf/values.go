package redisconf

import (
	"fmt"
	"strings"
)

// FileValues is what a redis.conf sets, as Redis reads it.
type FileValues struct {
	// Values holds each directive's raw arguments joined by single
	// spaces, by canonical catalog name.
	Values map[string]string
	// Present says which directives the file sets (an alias counts).
	Present map[string]bool
	// Renames maps an upper-case command name to its new name; "" means
	// the command is disabled.
	Renames map[string]string
	// Includes lists the arguments of the include lines, in file order.
	// Values does not read the included files.
	Includes []string
}

// Values reads what the file sets, the way Redis loads it top to bottom.
//
//   - Names are mapped to their canonical name through the catalog, so
//     slaveof counts as replicaof; directives the catalog does not know
//     (module directives included) are ignored, and so are the ones Redis
//     ignores (deprecated-ignored) and the file-only ones that accumulate
//     definitions (user, loadmodule, sentinel).
//   - For most directives the last line wins.
//   - save lines accumulate their pairs, in order; `save ""` drops the
//     pairs read so far, as in Redis (the first save line read replaces
//     the defaults, which is why Present matters).
//   - client-output-buffer-limit lines accumulate too: each sets only the
//     classes it names, so their arguments are concatenated in order and a
//     later class entry overrides an earlier one when normalized.
//   - rename-command lines go to Renames, the last line of a command wins.
//   - include lines are listed in Includes but not followed: a value set
//     in an included file is not seen, and one set there after this file's
//     line would win in Redis.
//
// It fails when the file does not parse or a rename-command line does not
// have exactly two arguments, as Redis refuses to start then.
func Values(content []byte, cat Catalog) (FileValues, error) {
	f, err := Parse(content)
	if err != nil {
		return FileValues{}, fmt.Errorf("read config file: %w", err)
	}
	fv := FileValues{
		Values:  map[string]string{},
		Present: map[string]bool{},
		Renames: map[string]string{},
	}
	// The accumulating directives are joined once, after the loop: joining
	// on every line made a file of many save lines take quadratic time.
	var save, limits []string
	for i, l := range f.Lines {
		switch l.Directive {
		case "":
			continue
		case "include":
			fv.Includes = append(fv.Includes, strings.Join(l.Args, " "))
			continue
		case "rename-command":
			if len(l.Args) != 2 {
				return FileValues{}, fmt.Errorf("read config file: line %d: rename-command takes a command and its new name, got %d arguments", i+1, len(l.Args))
			}
			fv.Renames[upperASCII(l.Args[0])] = l.Args[1]
			continue
		}
		name, ok := cat.ValueName(l.Directive)
		if !ok {
			continue
		}
		switch name {
		case "save":
			if len(l.Args) == 1 && l.Args[0] == "" {
				save = save[:0]
			} else {
				save = append(save, l.Args...)
			}
		case "client-output-buffer-limit":
			limits = append(limits, strings.Join(l.Args, " "))
		default:
			fv.Values[name] = strings.Join(l.Args, " ")
		}
		fv.Present[name] = true
	}
	if fv.Present["save"] {
		fv.Values["save"] = strings.Join(save, " ")
	}
	if fv.Present["client-output-buffer-limit"] {
		fv.Values["client-output-buffer-limit"] = strings.Join(limits, " ")
	}
	return fv, nil
}
