package backup

import "time"

// Object is one stored object of a kind kept beside the backups (the
// archive's segments): a flat name inside its kind's folder.
type Object struct {
	Name string
	Size int64
	// Modified is when the object was committed, as the storage says.
	Modified time.Time
}
