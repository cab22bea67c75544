// Package domain is the heart of pbledger: the participatory-budgeting model as event-sourced aggregates.
//
// A Cycle is one budget round (districts with budgets, a phase plan, the ballot rule, the outcome rule and the
// assessment policy, all fixed when it opens). A Proposal is a resident's project in one district: reviewed by
// moderators, scored by assessors, co-financed by pledges, funded by the district's allocation and tracked by
// milestones. A Ballot is one voter's ballot in one district. Each aggregate rebuilds its state from its
// stream's events through one apply switch (Load), and commands validate against that state, then record new
// events (Changes) for the application layer to append with an expected revision.
//
// Why it looks like this: every decision of a budget round must be replayable by anyone and give the same
// result. So the package does no I/O and reads no clock or randomness (IDs, times and the lot seed are passed
// in), money is an integer count of minor units (Money), and anything divided is exact (math/big.Rat). The
// outcome rules themselves live in the pure subpackage outcome; OutcomeInput builds their input and Allocate
// records their result.
//
// Errors returned by commands are *Error values with a Code for the HTTP layer and a Message for people; they
// wrap the package's sentinels (ErrVotingClosed, ErrBallotExists, …), which callers test with errors.Is.
package domain
