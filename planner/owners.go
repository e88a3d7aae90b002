package planner

import (
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/internal/owner"
)

// resolveCron says how to end a conflict over a crontab block: a block of
// this spec's own (an id, or another one), or, when the other block is
// this spec's after all (moved, or an older redisplan's), its removal.
func resolveCron(self owner.Owner, have []string) string {
	first, last := "", ""
	if len(have) > 0 {
		first, last = have[0], have[len(have)-1]
	}
	return fmt.Sprintf("%s, or, if that block is this spec's (the spec moved, say), delete it (its lines from %q to %q) and plan again",
		giveID(self), first, last)
}

// resolveFile says the same for a schedule file.
func resolveFile(self owner.Owner) string {
	return fmt.Sprintf("%s, or, if that file is this spec's (the spec moved, say), delete it and plan again", giveID(self))
}

func giveID(self owner.Owner) string {
	if self.ID != "" {
		return fmt.Sprintf("Give this cron block another id than %q", self.ID)
	}
	return `Give this target's cron block an id of its own (cron { id = "..." } names its block or files instead of the target)`
}

// mentionsPath reports whether text holds path as a whole argument:
// preceded by a space or a quote, and followed by a quote, a space or the
// end of a line. An older redisplan recorded no owner, but its crontab
// lines and ExecStart= lines name their spec after -config.
func mentionsPath(text, path string) bool {
	if path == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(text[i:], path)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(path)
		before := start > 0 && strings.ContainsRune(" \t'\"", rune(text[start-1]))
		after := end == len(text) || strings.ContainsRune(" \t'\"\r\n", rune(text[end]))
		if before && after {
			return true
		}
		i = start + 1
	}
}
