package domain

import (
	"errors"
	"fmt"
)

// Error codes say what kind of failure an *Error is. The http package maps them to statuses; they are part of
// the public API, so they never change meaning.
const (
	// CodeInvalid: the command is malformed or breaks a rule whatever the state (a negative cost, a ballot
	// that breaks the ballot rule).
	CodeInvalid = "invalid"
	// CodeNotFound: the command names something that does not exist (a district, a proposal, a cycle).
	CodeNotFound = "not_found"
	// CodeConflict: the command is well formed but the state does not allow it now (wrong phase, a second
	// ballot, something that already exists).
	CodeConflict = "conflict"
	// CodeForbidden: the actor may not do this (not the author, not a registered assessor, wrong role).
	CodeForbidden = "forbidden"
	// CodeInternal: a bug or a broken invariant; never the user's fault.
	CodeInternal = "internal"
)

// Domain sentinels. Every command error is an *Error that wraps one or more of them, so callers test the
// cause with errors.Is and show the user the *Error's Message.
var (
	// ErrInvalid: a malformed command or value (CodeInvalid).
	ErrInvalid = errors.New("invalid")
	// ErrInvalidBallot: a ballot breaks the cycle's ballot rule or names a proposal it may not (CodeInvalid).
	ErrInvalidBallot = errors.New("invalid ballot")
	// ErrUnknownCycle: the cycle has not been opened (CodeNotFound).
	ErrUnknownCycle = errors.New("unknown cycle")
	// ErrUnknownDistrict: the cycle has no such district (CodeNotFound).
	ErrUnknownDistrict = errors.New("unknown district")
	// ErrUnknownProposal: no such proposal, or it belongs to another cycle (CodeNotFound).
	ErrUnknownProposal = errors.New("unknown proposal")
	// ErrUnknownAssessor: the assessor is not registered for the cycle (CodeForbidden).
	ErrUnknownAssessor = errors.New("unknown assessor")
	// ErrWrongRole: the assessor's role does not allow the command (CodeForbidden).
	ErrWrongRole = errors.New("wrong assessor role")
	// ErrNotAuthor: only the proposal's author may do this (CodeForbidden).
	ErrNotAuthor = errors.New("not the author")
	// ErrWrongPhase: the cycle is not in a phase that allows the command (CodeConflict).
	ErrWrongPhase = errors.New("wrong phase")
	// ErrVotingClosed: a ballot was cast outside the voting phase (CodeConflict). It also matches ErrWrongPhase.
	ErrVotingClosed = fmt.Errorf("voting closed: %w", ErrWrongPhase)
	// ErrCycleExists: the cycle was already opened (CodeConflict).
	ErrCycleExists = errors.New("cycle already exists")
	// ErrProposalExists: the proposal was already submitted (CodeConflict).
	ErrProposalExists = errors.New("proposal already exists")
	// ErrAssessorExists: the assessor is already registered (CodeConflict).
	ErrAssessorExists = errors.New("assessor already registered")
	// ErrPledgeExists: a pledge with this ID was already recorded (CodeConflict).
	ErrPledgeExists = errors.New("pledge already recorded")
	// ErrBallotExists: the voter already cast a ballot and the cycle does not allow replacing it (CodeConflict).
	ErrBallotExists = errors.New("ballot already cast")
	// ErrProposalStatus: the proposal's status does not allow the command, e.g. revising a published
	// proposal or publishing a rejected one (CodeConflict).
	ErrProposalStatus = errors.New("proposal status does not allow this")
	// ErrProposalNotPublished: the proposal is not published (CodeConflict; CodeInvalid on a ballot).
	ErrProposalNotPublished = errors.New("proposal not published")
	// ErrProposalWithdrawn: the proposal was withdrawn by its author (CodeConflict; CodeInvalid on a ballot).
	ErrProposalWithdrawn = errors.New("proposal withdrawn")
	// ErrProposalNotEligible: on a ballot, a proposal that the assessment, held before the vote, made not
	// eligible (CodeInvalid).
	ErrProposalNotEligible = errors.New("proposal not eligible")
	// ErrPledgeExceedsCost: the pledge would take the pledges beyond the proposal's cost (CodeConflict).
	ErrPledgeExceedsCost = errors.New("pledges exceed cost")
	// ErrOverBudget: a cost above the district budget or ballot cap (CodeInvalid), or an allocation above the
	// district budget (CodeInternal: the outcome rule broke its contract).
	ErrOverBudget = errors.New("over budget")
	// ErrAlreadyAllocated: the district already has its allocation (CodeConflict).
	ErrAlreadyAllocated = errors.New("district already allocated")
	// ErrNotAllocated: a district has no allocation yet, so the cycle cannot move to implementation (CodeConflict).
	ErrNotAllocated = errors.New("district not allocated")
	// ErrNotFunded: the proposal was not funded by the cycle's allocation (CodeConflict).
	ErrNotFunded = errors.New("proposal not funded")
	// ErrDistrictLimit: the voter already voted in as many districts of the cycle as it allows (CodeConflict).
	ErrDistrictLimit = errors.New("district limit reached")
)

// Error is the one error type users see. Code is one of the Code constants; Message is a human sentence that
// names the offending thing; Err is the cause, wrapping the domain sentinels (test them with errors.Is).
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error returns the human message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause, so errors.Is finds the sentinels.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of err's *Error, "" for nil, and CodeInternal for anything else: an error the
// domain did not classify is a bug, not the user's fault.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message of err's *Error, "" for nil, and a generic text for anything else, so that
// internal details never reach users.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// newError builds an *Error whose cause wraps all the sentinels given.
func newError(code string, sentinels []error, format string, args ...any) *Error {
	var cause error
	switch len(sentinels) {
	case 0:
		cause = nil
	case 1:
		cause = sentinels[0]
	default:
		cause = errors.Join(sentinels...)
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

func invalidf(format string, args ...any) *Error {
	return newError(CodeInvalid, []error{ErrInvalid}, format, args...)
}

func errorf(code string, sentinel error, format string, args ...any) *Error {
	return newError(code, []error{sentinel}, format, args...)
}

func ballotErrorf(cause error, format string, args ...any) *Error {
	if cause == nil {
		return newError(CodeInvalid, []error{ErrInvalidBallot}, format, args...)
	}
	return newError(CodeInvalid, []error{ErrInvalidBallot, cause}, format, args...)
}

func internalf(cause error, format string, args ...any) *Error {
	e := newError(CodeInternal, nil, format, args...)
	e.Err = cause
	return e
}
