//go:build !linux

package restore

import "errors"

// exchange needs renameat2, which only Linux has.
func exchange(a, b string) error {
	return errors.New("an atomic exchange of files needs Linux (renameat2)")
}
