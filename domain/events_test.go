package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
)

// sampleEvents has one event of every type, with every field set.
func sampleEvents() []domain.Event {
	loc := &domain.Location{LatMicro: 43_238_949, LonMicro: -76_889_709}
	pc := domain.ProposalContent{Title: "Park", Description: "Trees\nand benches", Cost: 12_345, Location: loc,
		Category: "parks", ExternalRef: "pabulib:7"}
	return []domain.Event{
		domain.CycleOpened{CycleID: "almaty-2020", Name: "Almaty 2020", Currency: "KZT", CurrencyExponent: 2,
			Districts: []domain.District{{ID: "almaly", Name: "Almaly", Budget: 50_000_000_000}},
			Plan:      domain.StandardPlan(),
			BallotRule: domain.BallotRule{Type: domain.BallotCumulative, MinChoices: 1, MaxChoices: 5,
				MaxPointsPerProposal: 3, MinTotalPoints: 1, MaxTotalPoints: 10},
			OutcomeRule: outcome.Rule{Name: outcome.GreedyThreshold, MinSupport: 10},
			Assessment: domain.AssessmentPolicy{Scale: domain.ScoreScale{Min: 1, Max: 5},
				Criteria: []domain.Criterion{{ID: "impact", Name: "Impact"}}, ExcludeInfeasible: true,
				MeanScoreGate: true, MinMeanScore: 3, WeightPercent: 20},
			AllowBallotReplacement: true, TimeZone: "Asia/Almaty",
			Schedule: []domain.PhaseDate{{Phase: domain.PhaseVoting, Starts: time.Date(2020, 6, 1, 4, 0, 0, 0, time.UTC)}},
			ResidentPolicy: domain.ResidentPolicy{VoterKeys: domain.VoterKeysV2, DistrictsPerVoter: 1,
				HideResultsDuringVoting: true, ResidentIDPattern: domain.ResidentIDKazakhIIN}},
		domain.PhaseAdvanced{CycleID: "almaty-2020", From: domain.PhaseSubmission, To: domain.PhaseReview, Scheduled: true, Reason: "early"},
		domain.PhaseRescheduled{CycleID: "almaty-2020", Phase: domain.PhaseVoting, From: time.Date(2020, 6, 1, 4, 0, 0, 0, time.UTC),
			Starts: time.Date(2020, 6, 8, 4, 0, 0, 0, time.UTC), Reason: "Holiday"},
		domain.AssessorRegistered{CycleID: "almaty-2020", AssessorID: "exp1", Role: domain.RoleExpert},
		domain.LotDrawn{CycleID: "almaty-2020", DistrictID: "almaly", Seed: "0f3a"},
		domain.ExclusionGroupDeclared{CycleID: "almaty-2020", DistrictID: "almaly", ProposalIDs: []domain.ProposalID{"p1", "p2"}, Official: "commission", Reason: "same site"},
		domain.AllocationRecorded{CycleID: "almaty-2020", DistrictID: "almaly",
			Rule: outcome.Rule{Name: outcome.EqualSharesAdd1Comparison, Increment: 100}, VoteType: outcome.Approval,
			Budget: 1000, InputDigest: "abc123", LotSeed: "0f3a", BallotsCounted: 3,
			Winners: []domain.FundedProposal{{ProposalID: "p1", Funded: 600}},
			Decisions: []domain.ProposalDecision{
				{ProposalID: "p1", Selected: true, Reason: outcome.ReasonFunded, Cost: 600, Weight: "6/5", Support: "18/5", Votes: 3, Rank: 1, Share: "200"},
				{ProposalID: "p2", Reason: outcome.ReasonExcluded, Detail: "withdrawn by its author", Cost: 100, Support: "0"},
			},
			TieBreaks:      []domain.TieBreak{{ProposalIDs: []domain.ProposalID{"p1", "p3"}, By: outcome.TieLot, Stage: "greedy"}},
			Total:          600,
			PerVoterBudget: "1000/3",
			Comparison:     &domain.AllocationComparison{PreferEqualShares: 2, PreferGreedy: 1, Chosen: outcome.EqualSharesAdd1}},
		domain.ProposalSubmitted{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", Author: "alice", ProposalContent: pc,
			Personal: &domain.Sealed{KeyID: "alice_id", Algorithm: "AES-256-GCM", Ciphertext: "AAAA"}},
		domain.ProposalRevised{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", Author: "alice", ProposalContent: pc},
		domain.ProposalPublished{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", Moderator: "mod1"},
		domain.ProposalRejected{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", Moderator: "mod1", Reason: "Duplicate"},
		domain.ProposalWithdrawn{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", Author: "alice", Reason: "Moved"},
		domain.ProposalScored{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", AssessorID: "exp1",
			Role: domain.RoleExpert, Score: 4, Criteria: []domain.CriterionScore{{Criterion: "impact", Score: 5}}, Comment: "Good"},
		domain.ProposalMarkedInfeasible{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", AssessorID: "bc1", Reason: "Land"},
		domain.ProposalMarkedFeasible{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", AssessorID: "bc1", Reason: "Solved"},
		domain.CoFinancingPledged{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", PledgeID: "g1",
			Pledger: "shop1", PledgerKind: domain.PledgerBusiness, Amount: 500},
		domain.MilestoneReported{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", MilestoneID: "m1",
			Title: "Design", Status: domain.MilestoneDelayed, Progress: 30, Spent: 200, Due: "2021-05-01", Note: "Rain"},
		domain.BallotCast{CycleID: "almaty-2020", DistrictID: "almaly", Voter: "v1", Choices: points("p1", 3, "p2", 1)},
		domain.BallotReplaced{CycleID: "almaty-2020", DistrictID: "almaly", Voter: "v1", Choices: points("p2", 4)},
		domain.VoterDistrictClaimed{CycleID: "almaty-2020", Voter: "v1", DistrictID: "almaly"},
		domain.PersonalDataErased{KeyID: "author_almaty-2020_v1", Reason: "GDPR Art. 17 request 12"},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	covered := map[string]bool{}
	for _, e := range sampleEvents() {
		t.Run(e.EventType(), func(t *testing.T) {
			typ, data, err := domain.Encode(e)
			mustOK(t, err)
			if typ != e.EventType() {
				t.Errorf("got type %q, want %q", typ, e.EventType())
			}
			if !strings.Contains(string(data), `_id"`) {
				t.Errorf("encoding %s has no snake_case IDs", data)
			}
			got, err := domain.Decode(typ, data)
			mustOK(t, err)
			if !reflect.DeepEqual(got, e) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, e)
			}
			if domain.Stream(e) == "" {
				t.Errorf("event has no stream")
			}
		})
		covered[e.EventType()] = true
	}
	for _, typ := range domain.EventTypes() {
		if !covered[typ] {
			t.Errorf("event type %q has no sample", typ)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, typ, data string
		sentinel        error
	}{
		{"unknown type", "CycleRenamed", `{"cycle_id":"c"}`, domain.ErrUnknownEventType},
		{"unknown field", domain.EventLotDrawn, `{"cycle_id":"c","district_id":"d","seed":"s","color":"red"}`, nil},
		{"wrong field type", domain.EventLotDrawn, `{"cycle_id":1}`, nil},
		{"trailing data", domain.EventLotDrawn, `{"cycle_id":"c"} {}`, nil},
		{"not JSON", domain.EventLotDrawn, `seed`, nil},
		{"null", domain.EventLotDrawn, `null`, nil},
		{"empty", domain.EventLotDrawn, ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.Decode(tt.typ, []byte(tt.data))
			wantError(t, err, tt.sentinel, domain.CodeInternal)
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("got %v, want %v", err, tt.sentinel)
			}
		})
	}
}
