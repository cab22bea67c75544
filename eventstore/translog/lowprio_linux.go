package translog

import "syscall"

// lowerThreadPriority sets the calling thread's nice value to 19. On Linux the nice value belongs to a thread,
// which setpriority(2) names by its thread ID.
func lowerThreadPriority() error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
