package restore

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/progress"
)

// keyLine is one database's comparison, as an event.
type keyLine struct {
	kind progress.Level
	text string
}

// compareKeys compares the keys per database of a restored server (got)
// with the backup's manifest (want). Keys with a TTL may have expired since
// the backup (the load drops them), so a database is good when it holds at
// least want.Keys - want.Expires keys. A database the manifest does not
// name, or more keys than it says, is reported but accepted. The error
// lists every database short of keys.
//
// A nil want (a manifest without key counts, such as one made for a plain
// RDB file) proves nothing: the result is one warning saying so.
func compareKeys(want, got map[int]backup.DBStats) ([]keyLine, error) {
	if want == nil {
		var total int64
		for _, s := range got {
			total += s.Keys
		}
		return []keyLine{{progress.Warning, fmt.Sprintf("the backup's manifest has no key counts, so the restored keys (%d in %d databases) "+
			"could not be compared with it", total, len(got))}}, nil
	}
	dbs := slices.Sorted(maps.Keys(want))
	for db := range got {
		if _, ok := want[db]; !ok {
			dbs = append(dbs, db)
		}
	}
	slices.Sort(dbs)

	var lines []keyLine
	var short []string
	for _, db := range dbs {
		w, inBackup := want[db]
		g := got[db].Keys
		switch {
		case !inBackup:
			lines = append(lines, keyLine{progress.Warning, fmt.Sprintf("db%d: %d keys, but the backup's manifest lists no keys in db%d", db, g, db)})
		case g < w.Keys-w.Expires:
			short = append(short, fmt.Sprintf("db%d has %d keys, the backup %d (%d with a TTL)", db, g, w.Keys, w.Expires))
			lines = append(lines, keyLine{progress.Warning, fmt.Sprintf("db%d: %d keys, the backup had %d (%d with a TTL): %d missing", db, g, w.Keys, w.Expires, w.Keys-w.Expires-g)})
		case g < w.Keys:
			lines = append(lines, keyLine{progress.Step, fmt.Sprintf("db%d: %d keys, the backup had %d; %d with a TTL expired since", db, g, w.Keys, w.Keys-g)})
		case g > w.Keys:
			lines = append(lines, keyLine{progress.Warning, fmt.Sprintf("db%d: %d keys, %d more than the backup's %d", db, g, g-w.Keys, w.Keys)})
		default:
			lines = append(lines, keyLine{progress.Step, fmt.Sprintf("db%d: %d keys, as in the backup", db, g)})
		}
	}
	if len(short) > 0 {
		return lines, fmt.Errorf("the restored data lacks keys: %s; keys with a TTL may have expired, the others should be there", strings.Join(short, "; "))
	}
	return lines, nil
}
