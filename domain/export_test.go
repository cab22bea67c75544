package domain

// CheckResult exposes checkResult to the external tests: the allocation's budget assertion cannot be reached
// through Allocate while the outcome rules are correct.
var CheckResult = checkResult
