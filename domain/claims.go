package domain

import (
	"slices"
	"strings"
)

// ---- Districts per voter ----

// ClaimStreamPrefix starts the streams of VoterClaims.
const ClaimStreamPrefix = "claims-"

// ClaimStream names the stream of the districts one voter voted in within a cycle: "claims-<cycle>-<voter>".
// It splits from the right like a ballot stream, since voter keys have no "-".
func ClaimStream(cycle CycleID, voter VoterKey) string {
	return ClaimStreamPrefix + string(cycle) + "-" + string(voter)
}

// VoterDistrictClaimed records that a voter used one of the districts the cycle lets them vote in. It is
// appended to ClaimStream before the voter's first ballot in that district, expecting the stream's revision
// the claim was decided on, so racing ballots in different districts cannot all pass the limit.
type VoterDistrictClaimed struct {
	CycleID    CycleID    `json:"cycle_id"`
	Voter      VoterKey   `json:"voter"`
	DistrictID DistrictID `json:"district_id"`
}

// VoterClaims is the districts a voter has voted in within a cycle: an event-sourced aggregate whose stream
// is ClaimStream(cycle, voter). The zero VoterClaims is an empty history.
type VoterClaims struct {
	districts []DistrictID
	version   int
	changes   []Event
}

// Claim records that the voter votes in district, if the cycle's DistrictsPerVoter allows it. Claiming a
// district the voter already claimed records nothing (a replacement, or a retry).
//
// Errors: ErrDistrictLimit (code conflict) when the voter already voted in as many other districts as allowed.
func (v *VoterClaims) Claim(c *Cycle, voter VoterKey, district DistrictID) error {
	if slices.Contains(v.districts, district) {
		return nil
	}
	limit := c.ResidentPolicy().DistrictsPerVoter
	if limit > 0 && len(v.districts) >= limit {
		return errorf(CodeConflict, ErrDistrictLimit, "this resident already voted in %s of cycle %q, and may vote in %d district(s)",
			quoteDistricts(v.districts), c.ID(), limit)
	}
	e := VoterDistrictClaimed{CycleID: c.ID(), Voter: voter, DistrictID: district}
	v.apply(e)
	v.changes = append(v.changes, e)
	return nil
}

func quoteDistricts(ds []DistrictID) string {
	q := make([]string, len(ds))
	for i, d := range ds {
		q[i] = `"` + string(d) + `"`
	}
	return strings.Join(q, ", ")
}

// Load applies events of the claim stream, oldest first.
func (v *VoterClaims) Load(events ...Event) error {
	for _, e := range events {
		c, ok := e.(VoterDistrictClaimed)
		if !ok {
			return eventErrorf("%s is not a claim event", typeName(e))
		}
		v.apply(c)
		v.version++
	}
	return nil
}

func (v *VoterClaims) apply(e VoterDistrictClaimed) { v.districts = append(v.districts, e.DistrictID) }

// Districts returns the districts claimed, in order.
func (v *VoterClaims) Districts() []DistrictID { return slices.Clone(v.districts) }

// Version is the number of events loaded.
func (v *VoterClaims) Version() int { return v.version }

// Changes returns the events Claim recorded.
func (v *VoterClaims) Changes() []Event { return slices.Clone(v.changes) }

// ---- Personal data ----

// Sealed is personal data (an author's name, contact details, personal notes) as the log keeps it:
// encrypted outside the domain under a key that belongs to one person and is stored outside the log, so
// destroying the key erases the data from every copy of the log at once (crypto-shredding). The domain only
// carries it.
type Sealed struct {
	// KeyID names the person's key; it is their pseudonymous author key, never anything personal.
	KeyID string `json:"key_id"`
	// Algorithm names the cipher, e.g. "AES-256-GCM".
	Algorithm string `json:"alg"`
	// Ciphertext is the nonce followed by the sealed JSON, base64 (standard, padded).
	Ciphertext string `json:"ciphertext"`
}

// Validate checks the envelope's shape (its content is opaque here).
func (s *Sealed) Validate() error {
	if s == nil {
		return nil
	}
	if s.KeyID == "" || len(s.KeyID) > 200 || s.Algorithm == "" || s.Ciphertext == "" || len(s.Ciphertext) > 16<<10 {
		return invalidf("sealed personal data is malformed")
	}
	return nil
}

// ErasureStream is the stream of the audit record of erasures.
const ErasureStream = "erasures"

// PersonalDataErased records that a person's key was destroyed at their request: the data sealed under
// KeyID can no longer be read by anyone. It names no person: KeyID is pseudonymous.
type PersonalDataErased struct {
	KeyID string `json:"key_id"`
	// Reason is the legal ground or ticket reference, e.g. "GDPR Art. 17 request #123".
	Reason string `json:"reason,omitempty"`
}

// Validate checks the record.
func (e PersonalDataErased) Validate() error {
	if e.KeyID == "" || len(e.KeyID) > 200 {
		return invalidf("key_id is required (at most 200 bytes)")
	}
	return checkText("reason", e.Reason, false, false, MaxReasonLen)
}
