package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/pbledger/pbledger/domain/outcome"
)

// Event is a fact recorded forever. Every event carries the IDs that locate it (cycle, district, proposal,
// voter), so a projection can use it without knowing its stream. The interface is sealed: only this package's
// event types are events, so Encode and Decode cover them all.
type Event interface {
	// EventType returns the event's stored type name, one of the Event* constants.
	EventType() string
	isEvent()
}

// Event type names. They are stored with every event forever: never rename one.
const (
	EventCycleOpened        = "CycleOpened"
	EventPhaseAdvanced      = "PhaseAdvanced"
	EventPhaseRescheduled   = "PhaseRescheduled"
	EventAssessorRegistered = "AssessorRegistered"
	EventLotDrawn           = "LotDrawn"
	EventAllocationRecorded = "AllocationRecorded"
	// EventExclusionGroupDeclared is a budget commission's decision that proposals cannot all be built.
	EventExclusionGroupDeclared = "ExclusionGroupDeclared"

	EventProposalSubmitted        = "ProposalSubmitted"
	EventProposalRevised          = "ProposalRevised"
	EventProposalPublished        = "ProposalPublished"
	EventProposalRejected         = "ProposalRejected"
	EventProposalWithdrawn        = "ProposalWithdrawn"
	EventProposalScored           = "ProposalScored"
	EventProposalMarkedInfeasible = "ProposalMarkedInfeasible"
	EventProposalMarkedFeasible   = "ProposalMarkedFeasible"
	EventCoFinancingPledged       = "CoFinancingPledged"
	EventMilestoneReported        = "MilestoneReported"

	EventBallotCast     = "BallotCast"
	EventBallotReplaced = "BallotReplaced"

	EventVoterDistrictClaimed = "VoterDistrictClaimed"
	EventPersonalDataErased   = "PersonalDataErased"
)

// EventTypes lists every event type name, for stores and projections that want to check coverage.
func EventTypes() []string {
	return []string{
		EventCycleOpened, EventPhaseAdvanced, EventPhaseRescheduled, EventAssessorRegistered, EventLotDrawn, EventAllocationRecorded,
		EventExclusionGroupDeclared, EventProposalSubmitted, EventProposalRevised, EventProposalPublished, EventProposalRejected,
		EventProposalWithdrawn, EventProposalScored, EventProposalMarkedInfeasible, EventProposalMarkedFeasible,
		EventCoFinancingPledged, EventMilestoneReported,
		EventBallotCast, EventBallotReplaced,
		EventVoterDistrictClaimed, EventPersonalDataErased,
	}
}

// ---- Cycle stream ----

// CycleOpened opens a budget round. Everything that decides the outcome (districts and budgets, phase plan,
// ballot rule, outcome rule, assessment policy) is fixed here; no event changes it later.
type CycleOpened struct {
	CycleID CycleID `json:"cycle_id"`
	Name    string  `json:"name"`
	// Names is the name in other languages (optional); Name is the fallback.
	Names    Translations `json:"names,omitempty"`
	Currency string       `json:"currency"`
	// CurrencyExponent is the number of minor-unit digits (2 for KZT: 100 tiyn to the tenge); for display.
	CurrencyExponent       int              `json:"currency_exponent"`
	Districts              []District       `json:"districts"`
	Plan                   []Phase          `json:"plan"`
	BallotRule             BallotRule       `json:"ballot_rule"`
	OutcomeRule            outcome.Rule     `json:"outcome_rule"`
	Assessment             AssessmentPolicy `json:"assessment"`
	AllowBallotReplacement bool             `json:"allow_ballot_replacement"`
	// PortalURL is where residents vote (optional): the city's portal.
	PortalURL string `json:"portal_url,omitempty"`
	// TimeZone is the IANA time zone the cycle's calendar is kept in (e.g. "Asia/Almaty"); "" for a cycle
	// without a calendar.
	TimeZone string `json:"time_zone,omitempty"`
	// Schedule is when phases begin; phases without a date are advanced by hand only. PhaseRescheduled
	// changes a date later.
	Schedule []PhaseDate `json:"schedule,omitempty"`
	ResidentPolicy
}

// PhaseAdvanced moves the cycle one step along its plan.
type PhaseAdvanced struct {
	CycleID CycleID `json:"cycle_id"`
	From    Phase   `json:"from"`
	To      Phase   `json:"to"`
	// Scheduled is set when the server advanced the phase because its date had come.
	Scheduled bool `json:"scheduled,omitempty"`
	// Reason is the admin's reason, required when advancing before the scheduled date.
	Reason string `json:"reason,omitempty"`
}

// AssessorRegistered registers an assessor for the cycle.
type AssessorRegistered struct {
	CycleID    CycleID      `json:"cycle_id"`
	AssessorID AssessorID   `json:"assessor_id"`
	Role       AssessorRole `json:"role"`
}

// LotDrawn records the lot seed drawn for a district; it always precedes the district's AllocationRecorded,
// so the record shows the lot was fixed before counting.
type LotDrawn struct {
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Seed       string     `json:"seed"`
}

// FundedProposal is a winner of an allocation, in selection order.
type FundedProposal struct {
	ProposalID ProposalID `json:"proposal_id"`
	// Funded is what the district budget pays, in minor units (the public cost).
	Funded Money `json:"funded"`
}

// ProposalDecision says, for one proposal of the district, whether it won and why.
type ProposalDecision struct {
	ProposalID ProposalID `json:"proposal_id"`
	Selected   bool       `json:"selected"`
	// Reason is one of the outcome.Reason* codes; Detail explains it (for "not-eligible", the exclusion reason).
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
	// Cost is the public cost the rule saw: the proposal's cost minus pledges.
	Cost Money `json:"cost"`
	// Weight is the exact support weight from assessment ("" when 1), as "p/q" or an integer.
	Weight string `json:"weight,omitempty"`
	// Support is the exact support under the vote type, as an integer or "p/q" when weighted.
	Support string `json:"support"`
	Votes   int64  `json:"votes"`
	Rank    int    `json:"rank"`
	// Share is, for a proposal funded under Equal Shares, the most any one supporter paid, exact.
	Share string `json:"share,omitempty"`
}

// TieBreak records one tie the rule broke.
type TieBreak struct {
	ProposalIDs []ProposalID `json:"proposal_ids"`
	// By is "lowest-cost", "most-votes" or "lot" (the outcome.Tie* constants).
	By string `json:"by"`
	// Stage is set only under the comparison rules: "equal-shares" or "greedy".
	Stage string `json:"stage,omitempty"`
}

// AllocationComparison records the comparison step of the Equal Shares comparison rules: how many ballots
// preferred each outcome, and which became the result.
type AllocationComparison struct {
	PreferEqualShares int64            `json:"prefer_equal_shares"`
	PreferGreedy      int64            `json:"prefer_greedy"`
	Chosen            outcome.RuleName `json:"chosen"`
}

// AllocationRecorded is the outcome of one district, with everything an auditor needs to recompute it.
type AllocationRecorded struct {
	CycleID     CycleID          `json:"cycle_id"`
	DistrictID  DistrictID       `json:"district_id"`
	Rule        outcome.Rule     `json:"rule"`
	VoteType    outcome.VoteType `json:"vote_type"`
	Budget      Money            `json:"budget"`
	InputDigest string           `json:"input_digest"`
	LotSeed     string           `json:"lot_seed"`
	// BallotsCounted is the number of ballots counted (one current ballot per voter).
	BallotsCounted int                `json:"ballots_counted"`
	Winners        []FundedProposal   `json:"winners"`
	Decisions      []ProposalDecision `json:"decisions"`
	TieBreaks      []TieBreak         `json:"tie_breaks,omitempty"`
	// Total is the sum funded; never above Budget.
	Total          Money  `json:"total"`
	PerVoterBudget string `json:"per_voter_budget,omitempty"`
	// Comparison is set under the comparison rules.
	Comparison *AllocationComparison `json:"comparison,omitempty"`
}

// ---- Proposal stream ----

// ProposalContent is what an author writes: it is submitted and revised as a whole.
type ProposalContent struct {
	Title string `json:"title"`
	// Titles is the title in other languages (optional); Title is the fallback.
	Titles      Translations `json:"titles,omitempty"`
	Description string       `json:"description"`
	// Cost is the full cost in minor units: positive and at most the district budget.
	Cost     Money     `json:"cost"`
	Location *Location `json:"location,omitempty"`
	Category string    `json:"category,omitempty"`
	// ExternalRef links the proposal elsewhere, e.g. a Pabulib project id.
	ExternalRef string `json:"external_ref,omitempty"`
	// ListPosition is the proposal's place in the organiser's published list (1 = first; 0 = none), which
	// the list-order tie-break follows (an imported Pabulib file's PROJECTS order).
	ListPosition int `json:"list_position,omitempty"`
}

// ProposalSubmitted creates a proposal.
type ProposalSubmitted struct {
	ProposalID ProposalID `json:"proposal_id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Author     VoterKey   `json:"author"`
	ProposalContent
	// Personal is the author's personal data (name, contact), sealed; nil when none was given.
	Personal *Sealed `json:"personal,omitempty"`
}

// ProposalRevised replaces the proposal's content (and the author's personal data, when it carries some).
type ProposalRevised struct {
	ProposalID ProposalID `json:"proposal_id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Author     VoterKey   `json:"author"`
	ProposalContent
	Personal *Sealed `json:"personal,omitempty"`
}

// ProposalPublished puts the proposal on the ballot.
type ProposalPublished struct {
	ProposalID ProposalID `json:"proposal_id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Moderator  OfficialID `json:"moderator"`
}

// ProposalRejected keeps the proposal off the ballot, with the reason given to the author.
type ProposalRejected struct {
	ProposalID ProposalID `json:"proposal_id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Moderator  OfficialID `json:"moderator"`
	Reason     string     `json:"reason"`
}

// ProposalWithdrawn records the author's withdrawal; the proposal can no longer be voted on, assessed or funded.
type ProposalWithdrawn struct {
	ProposalID ProposalID `json:"proposal_id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Author     VoterKey   `json:"author"`
	Reason     string     `json:"reason,omitempty"`
}

// CriterionScore is an assessor's score on one criterion.
type CriterionScore struct {
	Criterion CriterionID `json:"criterion"`
	Score     int64       `json:"score"`
}

// ProposalScored records an assessor's score; it supersedes the same assessor's earlier score.
type ProposalScored struct {
	ProposalID ProposalID       `json:"proposal_id"`
	CycleID    CycleID          `json:"cycle_id"`
	DistrictID DistrictID       `json:"district_id"`
	AssessorID AssessorID       `json:"assessor_id"`
	Role       AssessorRole     `json:"role"`
	Score      int64            `json:"score"`
	Criteria   []CriterionScore `json:"criteria,omitempty"`
	Comment    string           `json:"comment,omitempty"`
}

// ProposalMarkedInfeasible records the budget commission's finding that the proposal cannot be carried out.
type ProposalMarkedInfeasible struct {
	ProposalID ProposalID `json:"proposal_id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	AssessorID AssessorID `json:"assessor_id"`
	Reason     string     `json:"reason"`
}

// ProposalMarkedFeasible reverses an earlier infeasibility finding.
type ProposalMarkedFeasible struct {
	ProposalID ProposalID `json:"proposal_id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	AssessorID AssessorID `json:"assessor_id"`
	Reason     string     `json:"reason"`
}

// CoFinancingPledged records a pledge that lowers the proposal's public cost.
type CoFinancingPledged struct {
	ProposalID  ProposalID  `json:"proposal_id"`
	CycleID     CycleID     `json:"cycle_id"`
	DistrictID  DistrictID  `json:"district_id"`
	PledgeID    PledgeID    `json:"pledge_id"`
	Pledger     PledgerID   `json:"pledger"`
	PledgerKind PledgerKind `json:"pledger_kind"`
	Amount      Money       `json:"amount"`
}

// MilestoneReported records the current state of one milestone of a funded proposal; the latest report of a
// milestone is its state.
type MilestoneReported struct {
	ProposalID  ProposalID      `json:"proposal_id"`
	CycleID     CycleID         `json:"cycle_id"`
	DistrictID  DistrictID      `json:"district_id"`
	MilestoneID MilestoneID     `json:"milestone_id"`
	Title       string          `json:"title"`
	Status      MilestoneStatus `json:"status"`
	// Progress is 0..100 percent.
	Progress int `json:"progress"`
	// Spent is the money spent on the milestone so far (cumulative, not a delta), in minor units.
	Spent Money `json:"spent"`
	// Due is an optional due date, "YYYY-MM-DD".
	Due  string `json:"due,omitempty"`
	Note string `json:"note,omitempty"`
}

// ---- Ballot stream ----

// BallotChoice is one entry of a ballot. Points are used by cumulative ballots only.
type BallotChoice struct {
	ProposalID ProposalID `json:"proposal_id"`
	Points     int64      `json:"points,omitempty"`
}

// BallotCast records a voter's first ballot in a district.
type BallotCast struct {
	CycleID    CycleID        `json:"cycle_id"`
	DistrictID DistrictID     `json:"district_id"`
	Voter      VoterKey       `json:"voter"`
	Choices    []BallotChoice `json:"choices"`
}

// BallotReplaced records a voter's new ballot, replacing the previous one (which stays in the history).
type BallotReplaced struct {
	CycleID    CycleID        `json:"cycle_id"`
	DistrictID DistrictID     `json:"district_id"`
	Voter      VoterKey       `json:"voter"`
	Choices    []BallotChoice `json:"choices"`
}

// EventType returns EventCycleOpened.
func (CycleOpened) EventType() string { return EventCycleOpened }

// EventType returns EventPhaseAdvanced.
func (PhaseAdvanced) EventType() string { return EventPhaseAdvanced }

// EventType returns EventAssessorRegistered.
func (AssessorRegistered) EventType() string { return EventAssessorRegistered }

// EventType returns EventLotDrawn.
func (LotDrawn) EventType() string { return EventLotDrawn }

// EventType returns EventAllocationRecorded.
func (AllocationRecorded) EventType() string { return EventAllocationRecorded }

// EventType returns EventProposalSubmitted.
func (ProposalSubmitted) EventType() string { return EventProposalSubmitted }

// EventType returns EventProposalRevised.
func (ProposalRevised) EventType() string { return EventProposalRevised }

// EventType returns EventProposalPublished.
func (ProposalPublished) EventType() string { return EventProposalPublished }

// EventType returns EventProposalRejected.
func (ProposalRejected) EventType() string { return EventProposalRejected }

// EventType returns EventProposalWithdrawn.
func (ProposalWithdrawn) EventType() string { return EventProposalWithdrawn }

// EventType returns EventProposalScored.
func (ProposalScored) EventType() string { return EventProposalScored }

// EventType returns EventProposalMarkedInfeasible.
func (ProposalMarkedInfeasible) EventType() string { return EventProposalMarkedInfeasible }

// EventType returns EventProposalMarkedFeasible.
func (ProposalMarkedFeasible) EventType() string { return EventProposalMarkedFeasible }

// EventType returns EventCoFinancingPledged.
func (CoFinancingPledged) EventType() string { return EventCoFinancingPledged }

// EventType returns EventMilestoneReported.
func (MilestoneReported) EventType() string { return EventMilestoneReported }

// EventType returns EventBallotCast.
func (BallotCast) EventType() string { return EventBallotCast }

// EventType returns EventBallotReplaced.
func (BallotReplaced) EventType() string { return EventBallotReplaced }

func (CycleOpened) isEvent()              {}
func (PhaseAdvanced) isEvent()            {}
func (AssessorRegistered) isEvent()       {}
func (LotDrawn) isEvent()                 {}
func (AllocationRecorded) isEvent()       {}
func (ProposalSubmitted) isEvent()        {}
func (ProposalRevised) isEvent()          {}
func (ProposalPublished) isEvent()        {}
func (ProposalRejected) isEvent()         {}
func (ProposalWithdrawn) isEvent()        {}
func (ProposalScored) isEvent()           {}
func (ProposalMarkedInfeasible) isEvent() {}
func (ProposalMarkedFeasible) isEvent()   {}
func (CoFinancingPledged) isEvent()       {}
func (MilestoneReported) isEvent()        {}
func (BallotCast) isEvent()               {}
func (BallotReplaced) isEvent()           {}
func (VoterDistrictClaimed) isEvent()     {}
func (PersonalDataErased) isEvent()       {}

// EventType returns EventVoterDistrictClaimed.
func (VoterDistrictClaimed) EventType() string { return EventVoterDistrictClaimed }

// EventType returns EventPersonalDataErased.
func (PersonalDataErased) EventType() string { return EventPersonalDataErased }

// Stream returns the name of the stream e belongs to, from the IDs it carries.
func Stream(e Event) string {
	switch e := e.(type) {
	case CycleOpened:
		return CycleStream(e.CycleID)
	case PhaseAdvanced:
		return CycleStream(e.CycleID)
	case PhaseRescheduled:
		return CycleStream(e.CycleID)
	case AssessorRegistered:
		return CycleStream(e.CycleID)
	case LotDrawn:
		return CycleStream(e.CycleID)
	case AllocationRecorded:
		return CycleStream(e.CycleID)
	case ExclusionGroupDeclared:
		return CycleStream(e.CycleID)
	case ProposalSubmitted:
		return ProposalStream(e.ProposalID)
	case ProposalRevised:
		return ProposalStream(e.ProposalID)
	case ProposalPublished:
		return ProposalStream(e.ProposalID)
	case ProposalRejected:
		return ProposalStream(e.ProposalID)
	case ProposalWithdrawn:
		return ProposalStream(e.ProposalID)
	case ProposalScored:
		return ProposalStream(e.ProposalID)
	case ProposalMarkedInfeasible:
		return ProposalStream(e.ProposalID)
	case ProposalMarkedFeasible:
		return ProposalStream(e.ProposalID)
	case CoFinancingPledged:
		return ProposalStream(e.ProposalID)
	case MilestoneReported:
		return ProposalStream(e.ProposalID)
	case BallotCast:
		return BallotStream(e.CycleID, e.DistrictID, e.Voter)
	case BallotReplaced:
		return BallotStream(e.CycleID, e.DistrictID, e.Voter)
	case VoterDistrictClaimed:
		return ClaimStream(e.CycleID, e.Voter)
	case PersonalDataErased:
		return ErasureStream
	}
	return ""
}

// Encode returns e's type name and its JSON encoding, for the store.
func Encode(e Event) (eventType string, data []byte, err error) {
	if e == nil {
		return "", nil, internalf(nil, "encode: nil event")
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", nil, internalf(err, "encode %s: %v", e.EventType(), err)
	}
	return e.EventType(), data, nil
}

// ErrUnknownEventType is wrapped by Decode's error for a type name it does not know.
var ErrUnknownEventType = errors.New("unknown event type")

// Decode rebuilds an event from its stored type name and JSON. It rejects unknown type names, unknown JSON
// fields and trailing data, so a stored event never silently loses information. Its errors are *Error with
// CodeInternal: stored data that does not decode is a bug or corruption, not a user mistake.
func Decode(eventType string, data []byte) (Event, error) {
	switch eventType {
	case EventCycleOpened:
		return decodeAs[CycleOpened](eventType, data)
	case EventPhaseAdvanced:
		return decodeAs[PhaseAdvanced](eventType, data)
	case EventPhaseRescheduled:
		return decodeAs[PhaseRescheduled](eventType, data)
	case EventAssessorRegistered:
		return decodeAs[AssessorRegistered](eventType, data)
	case EventLotDrawn:
		return decodeAs[LotDrawn](eventType, data)
	case EventAllocationRecorded:
		return decodeAs[AllocationRecorded](eventType, data)
	case EventExclusionGroupDeclared:
		return decodeAs[ExclusionGroupDeclared](eventType, data)
	case EventProposalSubmitted:
		return decodeAs[ProposalSubmitted](eventType, data)
	case EventProposalRevised:
		return decodeAs[ProposalRevised](eventType, data)
	case EventProposalPublished:
		return decodeAs[ProposalPublished](eventType, data)
	case EventProposalRejected:
		return decodeAs[ProposalRejected](eventType, data)
	case EventProposalWithdrawn:
		return decodeAs[ProposalWithdrawn](eventType, data)
	case EventProposalScored:
		return decodeAs[ProposalScored](eventType, data)
	case EventProposalMarkedInfeasible:
		return decodeAs[ProposalMarkedInfeasible](eventType, data)
	case EventProposalMarkedFeasible:
		return decodeAs[ProposalMarkedFeasible](eventType, data)
	case EventCoFinancingPledged:
		return decodeAs[CoFinancingPledged](eventType, data)
	case EventMilestoneReported:
		return decodeAs[MilestoneReported](eventType, data)
	case EventBallotCast:
		if b, ok := decodeBallotFast(data); ok {
			return b, nil
		}
		return decodeAs[BallotCast](eventType, data)
	case EventBallotReplaced:
		if b, ok := decodeBallotFast(data); ok {
			return BallotReplaced(b), nil
		}
		return decodeAs[BallotReplaced](eventType, data)
	case EventVoterDistrictClaimed:
		return decodeAs[VoterDistrictClaimed](eventType, data)
	case EventPersonalDataErased:
		return decodeAs[PersonalDataErased](eventType, data)
	}
	return nil, internalf(ErrUnknownEventType, "decode: unknown event type %q", eventType)
}

func decodeAs[E Event](eventType string, data []byte) (Event, error) {
	var e E
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil, internalf(nil, "decode %s: the data is not a JSON object", eventType)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, internalf(err, "decode %s: %v", eventType, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, internalf(nil, "decode %s: trailing data after the event", eventType)
	}
	return e, nil
}

// eventErrorf reports an event that does not belong to the aggregate being loaded.
func eventErrorf(format string, args ...any) error {
	return internalf(nil, "load: %s", fmt.Sprintf(format, args...))
}
