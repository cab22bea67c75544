package domain

import (
	"strings"
)

// Identifier types. Every ID is passed in by the caller (the domain makes none) and validated against one
// grammar, so that stream names built from IDs are unambiguous and safe as file names:
//
//	ID      = alnum { alnum | "_" | "." | ":" | "-" }   at most 64 bytes, ASCII only
//	NoDash  = the same without "-"                        (DistrictID and VoterKey)
//
// Why the two grammars: stream names join IDs with "-" (BallotStream is "ballot-<cycle>-<district>-<voter>").
// The last two parts, district and voter key, may not contain "-", so a ballot stream name splits uniquely from
// the right and no two (cycle, district, voter) triples share a stream. Cycle and proposal IDs may contain "-"
// ("almaty-2020", UUIDs) because each is either alone after its prefix or the leftmost part. The first byte is
// alphanumeric so no ID is "." or ".." or starts with a separator; the 64-byte cap keeps the longest stream
// name (7 + 3×64 + 2 = 201 bytes) under the usual 255-byte file-name limit.
type (
	// CycleID names a budget round, e.g. "almaty-2020".
	CycleID string
	// DistrictID names a district within a cycle, e.g. "almaly". It may not contain "-".
	DistrictID string
	// ProposalID names a proposal; unique across all cycles (it is the stream name).
	ProposalID string
	// VoterKey is a resident's pseudonymous key (residents never appear by name). It may not contain "-".
	VoterKey string
	// AssessorID names an assessor registered for a cycle.
	AssessorID string
	// OfficialID names the official (moderator) who published or rejected a proposal, for the record.
	OfficialID string
	// PledgerID names a resident or business that pledged co-financing.
	PledgerID string
	// PledgeID names one pledge; unique per proposal, so a retried command cannot pledge twice.
	PledgeID string
	// MilestoneID names a milestone of a funded proposal; unique per proposal.
	MilestoneID string
	// CriterionID names an assessment criterion declared by the cycle.
	CriterionID string
)

// MaxIDLen is the longest ID, in bytes.
const MaxIDLen = 64

// checkID reports whether s follows the ID grammar; dash says whether "-" is allowed.
func checkID(kind, s string, dash bool) error {
	if s == "" {
		return invalidf("%s is required", kind)
	}
	if len(s) > MaxIDLen {
		return invalidf("%s %q is longer than %d bytes", kind, s, MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		switch {
		case alnum:
		case i > 0 && (c == '_' || c == '.' || c == ':'):
		case i > 0 && c == '-' && dash:
		case c == '-' && !dash:
			return invalidf("%s %q may not contain '-'; use '_' instead", kind, s)
		default:
			allowed := "'_', '.' and ':'"
			if dash {
				allowed = "'_', '.', ':' and '-'"
			}
			return invalidf("%s %q is not allowed: it must start with a letter or digit and contain only ASCII letters, digits and %s (no spaces)", kind, s, allowed)
		}
	}
	return nil
}

// Validate reports whether id is a well-formed cycle ID.
func (id CycleID) Validate() error { return checkID("cycle ID", string(id), true) }

// Validate reports whether id is a well-formed district ID.
func (id DistrictID) Validate() error { return checkID("district ID", string(id), false) }

// Validate reports whether id is a well-formed proposal ID.
func (id ProposalID) Validate() error { return checkID("proposal ID", string(id), true) }

// Validate reports whether k is a well-formed voter key.
func (k VoterKey) Validate() error { return checkID("voter key", string(k), false) }

// Validate reports whether id is a well-formed assessor ID.
func (id AssessorID) Validate() error { return checkID("assessor ID", string(id), true) }

// Validate reports whether id is a well-formed official ID.
func (id OfficialID) Validate() error { return checkID("official ID", string(id), true) }

// Validate reports whether id is a well-formed pledger ID.
func (id PledgerID) Validate() error { return checkID("pledger ID", string(id), true) }

// Validate reports whether id is a well-formed pledge ID.
func (id PledgeID) Validate() error { return checkID("pledge ID", string(id), true) }

// Validate reports whether id is a well-formed milestone ID.
func (id MilestoneID) Validate() error { return checkID("milestone ID", string(id), true) }

// Validate reports whether id is a well-formed criterion ID.
func (id CriterionID) Validate() error { return checkID("criterion ID", string(id), true) }

// Stream name prefixes. A stream's category is the part before its first "-".
const (
	CycleStreamPrefix    = "cycle-"
	ProposalStreamPrefix = "proposal-"
	BallotStreamPrefix   = "ballot-"
)

// CycleStream names the stream of a cycle's events: "cycle-<id>".
func CycleStream(id CycleID) string { return CycleStreamPrefix + string(id) }

// ProposalStream names the stream of a proposal's events: "proposal-<id>".
func ProposalStream(id ProposalID) string { return ProposalStreamPrefix + string(id) }

// BallotStream names the stream of one voter's ballot in one district of one cycle:
// "ballot-<cycle>-<district>-<voter>". The store enforces one ballot per voter by appending the first ballot
// with the expectation that the stream does not exist yet.
func BallotStream(cycle CycleID, district DistrictID, voter VoterKey) string {
	return BallotStreamPrefix + string(cycle) + "-" + string(district) + "-" + string(voter)
}

// ParseBallotStream splits a ballot stream name into its IDs; ok is false if name is not a ballot stream of
// valid IDs. It splits from the right, which is unambiguous because district IDs and voter keys have no "-".
func ParseBallotStream(name string) (cycle CycleID, district DistrictID, voter VoterKey, ok bool) {
	rest, found := strings.CutPrefix(name, BallotStreamPrefix)
	if !found {
		return "", "", "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 {
		return "", "", "", false
	}
	voter = VoterKey(rest[i+1:])
	rest = rest[:i]
	j := strings.LastIndexByte(rest, '-')
	if j < 0 {
		return "", "", "", false
	}
	cycle, district = CycleID(rest[:j]), DistrictID(rest[j+1:])
	if cycle.Validate() != nil || district.Validate() != nil || voter.Validate() != nil {
		return "", "", "", false
	}
	return cycle, district, voter, true
}
