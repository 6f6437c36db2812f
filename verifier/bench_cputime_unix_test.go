//go:build unix

package verifier

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) this process has used,
// or 0 where it is unknown. zkp and credential/status have the same helper:
// test files cannot share code across packages, and a test-only helper
// does not belong in the library's API.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
