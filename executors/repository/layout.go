package repository

import (
	"path/filepath"
	"strings"

	"github.com/redisplan/redisplan/internal/s3url"
)

// The layout of a destination:
//
//	<destination>/<FileName(target)>/<backup id>/{manifest.json, files...}
//
// A Kind is one sort of artifact kept under a target's folder. Backups sit
// in the folder itself; another kind (the archive's segments) gets a
// subfolder of its own, named here and nowhere else, so that what one kind
// lists or prunes is never the other's.
type Kind string

// Backups are the target's complete backups: one folder per backup ID.
const Backups Kind = ""

// Archive is the archive's segments of the target's write stream
// (executors/archive): flat objects in <target folder>/archive/.
const Archive Kind = "archive"

// CheckState is check's state of the target (executors/check: the last
// sample of its counters and the alerts' bookkeeping), kept beside its
// backups so that a job without a disk of its own (a CronJob pod) still
// sends "resolved" and does not send an alert twice:
// <target folder>/check/CheckStateName.
const CheckState Kind = "check"

// CheckStateName is the object that holds a target's check state in
// CheckState. Another spec's target of the same name in a shared folder
// keeps its own beside it, named after its owner.
const CheckStateName = "state.json"

// kinds are the kinds with a folder of their own inside a target's
// folder: not backups, and not something left alone there.
var kinds = []Kind{Archive, CheckState}

// FileName turns a target name such as cache["eu"] into cache-eu: the name
// of its folder in a destination, and of its other files (redis.conf,
// check state).
func FileName(target string) string {
	r := strings.NewReplacer(`["`, "-", `"]`, "", "/", "_", `"`, "")
	return r.Replace(target)
}

// location is where artifacts of kind k of target live in dest, without a
// trailing separator.
func location(dest, target string, k Kind) string {
	if s3url.Is(dest) {
		p := strings.TrimRight(dest, "/") + "/" + FileName(target)
		if k != Backups {
			p += "/" + string(k)
		}
		return p
	}
	return filepath.Join(dest, FileName(target), string(k))
}
