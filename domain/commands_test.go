package domain_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pbledger/pbledger/domain"
)

// The application layer decodes commands from JSON; their fields are snake_case and embedded content is flat.
func TestCommandsDecodeFromJSON(t *testing.T) {
	var got domain.SubmitProposal
	mustOK(t, json.Unmarshal([]byte(`{"proposal_id":"p1","cycle_id":"almaty-2020","district_id":"almaly",
		"author":"v1","title":"Park","description":"Trees","cost":1000,
		"location":{"lat_micro_deg":43238949,"lon_micro_deg":76889709},"category":"parks","external_ref":"pb:1"}`), &got))
	want := domain.SubmitProposal{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly", Author: "v1",
		ProposalContent: domain.ProposalContent{Title: "Park", Description: "Trees", Cost: 1000,
			Location: &domain.Location{LatMicro: 43_238_949, LonMicro: 76_889_709}, Category: "parks", ExternalRef: "pb:1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	mustOK(t, got.Validate())
}

type validator interface{ Validate() error }

func TestCommandValidateRejectsBadIDs(t *testing.T) {
	tests := map[string]validator{
		"OpenCycle":         domain.OpenCycle{CycleID: "bad id"},
		"AdvancePhase":      domain.AdvancePhase{CycleID: testCycle, To: "recess"},
		"RegisterAssessor":  domain.RegisterAssessor{CycleID: testCycle, AssessorID: "", Role: domain.RoleExpert},
		"SubmitProposal":    domain.SubmitProposal{ProposalID: "p 1"},
		"ReviseProposal":    domain.ReviseProposal{ProposalID: "p1", Author: "a-b"},
		"PublishProposal":   domain.PublishProposal{ProposalID: "p1", Moderator: ""},
		"RejectProposal":    domain.RejectProposal{ProposalID: "p1", Moderator: "m1", Reason: ""},
		"WithdrawProposal":  domain.WithdrawProposal{ProposalID: "p1", Author: "a b"},
		"ScoreProposal":     domain.ScoreProposal{ProposalID: "p1", AssessorID: "e/1"},
		"MarkInfeasible":    domain.MarkInfeasible{ProposalID: "p1", AssessorID: "bc1"},
		"MarkFeasible":      domain.MarkFeasible{ProposalID: "", AssessorID: "bc1", Reason: "ok"},
		"PledgeCoFinancing": domain.PledgeCoFinancing{ProposalID: "p1", PledgeID: "g1", Pledger: "s1", PledgerKind: "bank", Amount: 1},
		"ReportMilestone":   domain.ReportMilestone{ProposalID: "p1", MilestoneID: "m1"},
		"CastBallot":        domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v1", Choices: choices("p 1")},
		"AllocateDistrict":  domain.AllocateDistrict{CycleID: testCycle, DistrictID: "north"},
	}
	for name, cmd := range tests {
		t.Run(name+" refused", func(t *testing.T) {
			wantError(t, cmd.Validate(), domain.ErrInvalid, domain.CodeInvalid)
		})
	}
}
