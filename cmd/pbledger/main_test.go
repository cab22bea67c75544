package main

import (
	"os"
	"testing"
)

// TestMain lets a test run this test binary as the pbledger command (with PBLEDGER_TEST_AS_MAIN=1), so that
// tests can run shell commands that call `pbledger` — docs/ADMIN.md, verbatim — without building a binary.
func TestMain(m *testing.M) {
	enableUUIDPool()
	if os.Getenv("PBLEDGER_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}
