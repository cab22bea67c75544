package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	pbhttp "github.com/pbledger/pbledger/http"
	"github.com/pbledger/pbledger/ledger"
)

// The demo: Almaty's participatory budget, modelled on the 2020 pilot: 8 districts with 500,000,000 KZT each.
// almaty-2025 is complete (allocated, in implementation); almaty-2026 is open for voting. The content is
// generated from a fixed seed, so every demo directory tells the same story; it goes through the same
// commands as real use, so it is checked by the same rules.

var almatyDistricts = []domain.District{
	{ID: "alatau", Name: "Alatau"}, {ID: "almaly", Name: "Almaly"}, {ID: "auezov", Name: "Auezov"},
	{ID: "bostandyk", Name: "Bostandyk"}, {ID: "zhetysu", Name: "Zhetysu"}, {ID: "medeu", Name: "Medeu"},
	{ID: "nauryzbay", Name: "Nauryzbay"}, {ID: "turksib", Name: "Turksib"},
}

// tenge is one tenge in minor units (tiyn).
const tenge domain.Money = 100

var demoProjects = []struct{ title, category string }{
	{"Renovate the courtyard playground", "children"},
	{"LED street lighting on the main avenue", "safety"},
	{"Protected bike lane to the metro", "transport"},
	{"Plant 300 elms along the canal", "greenery"},
	{"Accessible ramps at the polyclinic", "accessibility"},
	{"Outdoor gym in the park", "sport"},
	{"Shaded bus stops with benches", "transport"},
	{"Drinking fountains in public squares", "public space"},
	{"Community library reading room", "culture"},
	{"Football pitch with artificial turf", "sport"},
	{"Public toilets at the bazaar", "public space"},
	{"Flower beds and irrigation on the boulevard", "greenery"},
	{"Pedestrian crossing with traffic light near the school", "safety"},
	{"Dog park with fencing", "public space"},
}

var demoRequest = ledger.Request{Principal: "demo", Role: "system", RequestID: "demo-loader"}

// loadDemo writes the demo cycles through the ledger.
func loadDemo(ctx context.Context, svc *ledger.Service, voters *pbhttp.VoterKeys) error {
	rng := rand.New(rand.NewPCG(2020, 1))
	if err := demoCycle(ctx, svc, voters, rng, "almaty-2025", "Almaty Participation Budget 2025", outcome.Rule{Name: outcome.Greedy}, true); err != nil {
		return err
	}
	return demoCycle(ctx, svc, voters, rng, "almaty-2026", "Almaty Participation Budget 2026",
		outcome.Rule{Name: outcome.EqualSharesAdd1, Increment: int64(1_000_000 * tenge)}, false)
}

func demoCycle(ctx context.Context, svc *ledger.Service, voters *pbhttp.VoterKeys, rng *rand.Rand, id domain.CycleID, name string, rule outcome.Rule, complete bool) error {
	req := demoRequest
	districts := make([]domain.District, len(almatyDistricts))
	for i, d := range almatyDistricts {
		d.Budget = 500_000_000 * tenge
		districts[i] = d
	}
	must := func(_ ledger.Written, err error) error { return err }
	if err := must(svc.OpenCycle(ctx, req, domain.OpenCycle{
		CycleID: id, Name: name, Currency: "KZT", CurrencyExponent: 2, Districts: districts, Plan: domain.StandardPlan(),
		BallotRule:  domain.BallotRule{Type: domain.BallotApproval, MinChoices: 1, MaxChoices: 5},
		OutcomeRule: rule,
		Assessment: domain.AssessmentPolicy{
			Scale:             domain.ScoreScale{Min: 1, Max: 10},
			Criteria:          []domain.Criterion{{ID: "impact", Name: "Benefit to residents"}, {ID: "feasibility", Name: "Feasibility"}},
			ExcludeInfeasible: true,
		},
		// What the API gives new cycles (docs/SECURITY.md), and Almaty's resident IDs: IINs.
		ResidentPolicy: domain.ResidentPolicy{VoterKeys: domain.VoterKeysV2, DistrictsPerVoter: 1, ResidentIDPattern: domain.ResidentIDKazakhIIN},
	})); err != nil {
		return err
	}
	for _, a := range []domain.RegisterAssessor{
		{CycleID: id, AssessorID: "expert-1", Role: domain.RoleExpert},
		{CycleID: id, AssessorID: "council-1", Role: domain.RolePublicCouncil},
		{CycleID: id, AssessorID: "commission-1", Role: domain.RoleBudgetCommission},
	} {
		if err := must(svc.RegisterAssessor(ctx, req, a)); err != nil {
			return err
		}
	}
	// Proposals: 10 to 13 per district; one rejected in each district.
	type prop struct {
		id         domain.ProposalID
		district   domain.DistrictID
		popularity float64
	}
	var published []prop
	for di, d := range districts {
		n := 10 + rng.IntN(4)
		for i, j := range rng.Perm(len(demoProjects))[:n] {
			pid := domain.ProposalID(fmt.Sprintf("%s.%s.%02d", id, d.ID, i+1))
			author := domain.VoterKey(voters.KeyFor(domain.VoterKeysV2, id, domain.PurposeAuthor, demoIIN(500_000+di*100+i)))
			cost := domain.Money(20+rng.IntN(230)) * 1_000_000 * tenge
			if err := must(svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: pid, CycleID: id, DistrictID: d.ID, Author: author,
				ProposalContent: domain.ProposalContent{Title: demoProjects[j].title + " (" + d.Name + ")", Category: demoProjects[j].category,
					Description: "A residents' proposal for " + d.Name + " district.", Cost: cost}})); err != nil {
				return err
			}
			if i == n-1 {
				if err := must(svc.RejectProposal(ctx, req, domain.RejectProposal{ProposalID: pid, Moderator: "demo-moderator", Reason: "Outside the city's competence (private land)."})); err != nil {
					return err
				}
				continue
			}
			if err := must(svc.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: pid, Moderator: "demo-moderator"})); err != nil {
				return err
			}
			published = append(published, prop{id: pid, district: d.ID, popularity: 0.1 + rng.Float64()})
		}
	}
	// Co-financing: a business pledges to the first proposal of each district.
	for i, d := range districts {
		for _, p := range published {
			if p.district == d.ID {
				if err := must(svc.PledgeCoFinancing(ctx, req, domain.PledgeCoFinancing{ProposalID: p.id, PledgeID: "pledge-1",
					Pledger: domain.PledgerID(fmt.Sprintf("bin-1000%02d", i)), PledgerKind: domain.PledgerBusiness, Amount: 5_000_000 * tenge})); err != nil {
					return err
				}
				break
			}
		}
	}
	for _, to := range []domain.Phase{domain.PhaseReview, domain.PhaseVoting} {
		if err := must(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: id, To: to})); err != nil {
			return err
		}
	}
	// Ballots: 250 to 400 residents per district approve 1 to 5 proposals, favouring the popular ones.
	type ballot struct{ cmd domain.CastBallot }
	var ballots []ballot
	for di, d := range districts {
		var mine []prop
		for _, p := range published {
			if p.district == d.ID {
				mine = append(mine, p)
			}
		}
		n := 250 + rng.IntN(151)
		for v := 0; v < n; v++ {
			k := 1 + rng.IntN(min(5, len(mine)))
			chosen := map[domain.ProposalID]bool{}
			var choices []domain.BallotChoice
			for len(choices) < k {
				p := mine[rng.IntN(len(mine))]
				if chosen[p.id] || rng.Float64() > p.popularity {
					continue
				}
				chosen[p.id] = true
				choices = append(choices, domain.BallotChoice{ProposalID: p.id})
			}
			ballots = append(ballots, ballot{domain.CastBallot{CycleID: id, DistrictID: d.ID,
				Voter: domain.VoterKey(voters.KeyFor(domain.VoterKeysV2, id, domain.PurposeBallot, demoIIN(di*1000+v))), Choices: choices}})
		}
	}
	// Cast them concurrently, as a city portal would: the store commits them in groups.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	next := make(chan ballot)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				if _, err := svc.CastBallot(ctx, req, b.cmd); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, b := range ballots {
		next <- b
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	if !complete {
		return nil
	}
	if err := must(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: id, To: domain.PhaseAssessment})); err != nil {
		return err
	}
	for i, p := range published {
		for _, a := range []domain.AssessorID{"expert-1", "council-1"} {
			s := int64(3 + rng.IntN(8))
			if err := must(svc.ScoreProposal(ctx, req, domain.ScoreProposal{ProposalID: p.id, AssessorID: a, Score: s,
				Criteria: []domain.CriterionScore{{Criterion: "impact", Score: s}, {Criterion: "feasibility", Score: max(1, s-1)}}})); err != nil {
				return err
			}
		}
		if i%17 == 5 {
			if err := must(svc.MarkInfeasible(ctx, req, domain.MarkInfeasible{ProposalID: p.id, AssessorID: "commission-1",
				Reason: "The site is reserved for a metro station."})); err != nil {
				return err
			}
		}
	}
	if err := must(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: id, To: domain.PhaseAllocation})); err != nil {
		return err
	}
	for _, d := range districts {
		if err := must(svc.Allocate(ctx, req, id, d.ID)); err != nil {
			return err
		}
	}
	if err := must(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: id, To: domain.PhaseImplementation})); err != nil {
		return err
	}
	// Milestones for the two first winners of each district.
	seen := map[domain.DistrictID]int{}
	for _, p := range published {
		if seen[p.district] >= 2 {
			continue
		}
		w, err := svc.ReportMilestone(ctx, req, domain.ReportMilestone{ProposalID: p.id, MilestoneID: "design", Title: "Design approved",
			Status: domain.MilestoneCompleted, Progress: 100, Spent: 2_000_000 * tenge})
		if err != nil {
			if domain.ErrorCode(err) == domain.CodeConflict {
				continue // not funded
			}
			return err
		}
		_ = w
		if _, err := svc.ReportMilestone(ctx, req, domain.ReportMilestone{ProposalID: p.id, MilestoneID: "build", Title: "Construction",
			Status: domain.MilestoneInProgress, Progress: 40, Spent: 15_000_000 * tenge, Due: "2026-09-30"}); err != nil {
			return err
		}
		seen[p.district]++
	}
	return nil
}

// demoIIN returns the n-th demo resident's IIN: 12 digits with a valid check digit, distinct for every n below
// 10^9. Each n owns a block of ten 11-digit prefixes and takes the first that has a check digit (about one
// prefix in 121 has none). Demo residents use n below 10^6; tests above it.
func demoIIN(n int) string {
	for off := 0; off < 10; off++ {
		prefix := fmt.Sprintf("8%010d", n*10+off)
		for c := byte('0'); c <= '9'; c++ {
			if s := prefix + string(c); domain.ValidIIN(s) {
				return s
			}
		}
	}
	panic(fmt.Sprintf("demoIIN(%d): no valid IIN in its block", n))
}
