//go:build !linux

package translog

import "errors"

// lowerThreadPriority is not done here: only Linux gives a single thread its own nice value.
func lowerThreadPriority() error {
	return errors.New("translog: no per-thread priority on this system")
}
