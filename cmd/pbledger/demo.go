package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

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

// demoNames are the demo's district names in Kazakh and Russian, beside the English names above.
var demoNames = map[domain.DistrictID]domain.Translations{
	"alatau":    {"kk": "Алатау ауданы", "ru": "Алатауский район"},
	"almaly":    {"kk": "Алмалы ауданы", "ru": "Алмалинский район"},
	"auezov":    {"kk": "Әуезов ауданы", "ru": "Ауэзовский район"},
	"bostandyk": {"kk": "Бостандық ауданы", "ru": "Бостандыкский район"},
	"zhetysu":   {"kk": "Жетісу ауданы", "ru": "Жетысуский район"},
	"medeu":     {"kk": "Медеу ауданы", "ru": "Медеуский район"},
	"nauryzbay": {"kk": "Наурызбай ауданы", "ru": "Наурызбайский район"},
	"turksib":   {"kk": "Түрксіб ауданы", "ru": "Турксибский район"},
}

// demoTitles are the projects' titles in Kazakh and Russian, in the order of demoProjects.
var demoTitles = []domain.Translations{
	{"kk": "Аула ойын алаңын жөндеу", "ru": "Ремонт детской площадки во дворе"},
	{"kk": "Бас даңғылға LED көше жарығы", "ru": "Светодиодное освещение главного проспекта"},
	{"kk": "Метроға дейін қорғалған велосипед жолы", "ru": "Защищённая велодорожка до метро"},
	{"kk": "Канал бойына 300 қарағаш отырғызу", "ru": "300 вязов вдоль канала"},
	{"kk": "Емханада кедергісіз пандустар", "ru": "Пандусы у поликлиники"},
	{"kk": "Саябақта ашық аспан астындағы спортзал", "ru": "Уличный тренажёрный зал в парке"},
	{"kk": "Орындықтары бар көлеңкелі аялдамалар", "ru": "Остановки с навесом и скамейками"},
	{"kk": "Алаңдарда ауыз су бұрқақтары", "ru": "Питьевые фонтанчики на площадях"},
	{"kk": "Қоғамдық кітапхананың оқу залы", "ru": "Читальный зал районной библиотеки"},
	{"kk": "Жасанды жабыны бар футбол алаңы", "ru": "Футбольное поле с искусственным покрытием"},
	{"kk": "Базардағы қоғамдық дәретханалар", "ru": "Общественные туалеты у базара"},
	{"kk": "Гүлзарлар мен бульварды суару", "ru": "Клумбы и полив на бульваре"},
	{"kk": "Мектеп жанында бағдаршамы бар жаяу жүргінші өткелі", "ru": "Пешеходный переход со светофором у школы"},
	{"kk": "Қоршалған ит серуендету алаңы", "ru": "Огороженная площадка для выгула собак"},
}

// demoPortal is where the demo says residents vote (the city's portal).
const demoPortal = "https://budget.almaty.kz"

// demoCycleNames names a demo cycle ("almaty-2025") in Kazakh and Russian.
func demoCycleNames(id domain.CycleID) domain.Translations {
	year := strings.TrimPrefix(string(id), "almaty-")
	return domain.Translations{"kk": "Алматы қатысу бюджеті " + year, "ru": "Бюджет участия Алматы " + year}
}

// demoTitle is project j's title in district d, in Kazakh and Russian.
func demoTitle(j int, d domain.District) domain.Translations {
	t := domain.Translations{}
	for lang, title := range demoTitles[j] {
		t[lang] = title + " (" + d.Names[lang] + ")"
	}
	return t
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

// demoZone is Almaty's time zone; the demo's calendars are kept in it.
const demoZone = "Asia/Almaty"

// demoCalendar is when a demo cycle's phases begin, and when its milestones were reported.
type demoCalendar struct {
	opened                                                 time.Time
	review, voting, assessment, allocation, implementation time.Time
	designDone, buildReported                              time.Time
}

// almaty2025 is the completed cycle's real calendar, in the past, so that `pbledger replay --until
// 2025-09-01` shows it as it stood that day (allocated, in implementation, nothing spent yet).
func almaty2025(loc *time.Location) demoCalendar {
	d := func(m time.Month, day int) time.Time { return time.Date(2025, m, day, 9, 0, 0, 0, loc) }
	return demoCalendar{opened: d(3, 1), review: d(4, 15), voting: d(6, 1), assessment: d(7, 1), allocation: d(8, 1),
		implementation: d(8, 15), designDone: d(10, 15), buildReported: time.Date(2026, 4, 1, 9, 0, 0, 0, loc)}
}

// openForVoting is the calendar of the cycle open for voting: it opened 60 days before now and voting
// closes 14 days after now, whenever the demo is loaded.
func openForVoting(now time.Time, loc *time.Location) demoCalendar {
	day := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, loc)
	return demoCalendar{opened: day.AddDate(0, 0, -60), review: day.AddDate(0, 0, -30), voting: day.AddDate(0, 0, -7),
		assessment: day.AddDate(0, 0, 14), allocation: day.AddDate(0, 0, 35), implementation: day.AddDate(0, 0, 49)}
}

func (cal demoCalendar) schedule() []domain.PhaseDate {
	return []domain.PhaseDate{
		{Phase: domain.PhaseReview, Starts: cal.review}, {Phase: domain.PhaseVoting, Starts: cal.voting},
		{Phase: domain.PhaseAssessment, Starts: cal.assessment}, {Phase: domain.PhaseAllocation, Starts: cal.allocation},
		{Phase: domain.PhaseImplementation, Starts: cal.implementation},
	}
}

// loadDemo writes the demo cycles through the ledger. Every command carries the time it took effect on
// the demo's calendar, so the history has real dates.
func loadDemo(ctx context.Context, svc *ledger.Service, voters *pbhttp.VoterKeys) error {
	loc, err := time.LoadLocation(demoZone)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(2020, 1))
	if err := demoCycle(ctx, svc, voters, rng, "almaty-2025", "Almaty Participation Budget 2025", outcome.Rule{Name: outcome.Greedy}, almaty2025(loc), true); err != nil {
		return err
	}
	return demoCycle(ctx, svc, voters, rng, "almaty-2026", "Almaty Participation Budget 2026",
		outcome.Rule{Name: outcome.EqualSharesAdd1, Increment: int64(1_000_000 * tenge)}, openForVoting(time.Now(), loc), false)
}

func demoCycle(ctx context.Context, svc *ledger.Service, voters *pbhttp.VoterKeys, rng *rand.Rand, id domain.CycleID, name string, rule outcome.Rule, cal demoCalendar, complete bool) error {
	req := demoRequest
	req.At = cal.opened
	districts := make([]domain.District, len(almatyDistricts))
	for i, d := range almatyDistricts {
		d.Budget = 500_000_000 * tenge
		d.Names = demoNames[d.ID]
		districts[i] = d
	}
	must := func(_ ledger.Written, err error) error { return err }
	if err := must(svc.OpenCycle(ctx, req, domain.OpenCycle{
		CycleID: id, Name: name, Names: demoCycleNames(id), PortalURL: demoPortal, Currency: "KZT", CurrencyExponent: 2, Districts: districts, Plan: domain.StandardPlan(),
		TimeZone: demoZone, Schedule: cal.schedule(),
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
			req.At = cal.opened.Add(time.Duration(len(published)+1) * 97 * time.Minute) // submissions over the first weeks
			if err := must(svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: pid, CycleID: id, DistrictID: d.ID, Author: author,
				ProposalContent: domain.ProposalContent{Title: demoProjects[j].title + " (" + d.Name + ")", Titles: demoTitle(j, d), Category: demoProjects[j].category,
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
	req.At = cal.review.Add(-48 * time.Hour)
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
	for _, at := range []time.Time{cal.review, cal.voting} {
		if err := advanceOnDate(ctx, svc, id, at); err != nil {
			return err
		}
	}
	// Ballots: 250 to 400 residents per district approve 1 to 5 proposals, favouring the popular ones.
	type ballot struct {
		cmd domain.CastBallot
		at  time.Time
	}
	// Each district's ballots are spread over the voting days so far (all of them for a finished vote).
	votingEnds := cal.assessment
	if now := time.Now(); now.Before(votingEnds) {
		votingEnds = now
	}
	var ballots []ballot
	for di, d := range districts {
		var mine []prop
		for _, p := range published {
			if p.district == d.ID {
				mine = append(mine, p)
			}
		}
		n := 250 + rng.IntN(151)
		step := votingEnds.Sub(cal.voting) / time.Duration(n+1)
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
				Voter: domain.VoterKey(voters.KeyFor(domain.VoterKeysV2, id, domain.PurposeBallot, demoIIN(di*1000+v))), Choices: choices}, cal.voting.Add(time.Duration(v+1) * step)})
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
				r := req
				r.At = b.at
				if _, err := svc.CastBallot(ctx, r, b.cmd); err != nil {
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
	if err := advanceOnDate(ctx, svc, id, cal.assessment); err != nil {
		return err
	}
	req.At = cal.assessment.Add(72 * time.Hour)
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
	if err := advanceOnDate(ctx, svc, id, cal.allocation); err != nil {
		return err
	}
	req.At = cal.allocation.Add(2 * time.Hour)
	for _, d := range districts {
		if err := must(svc.Allocate(ctx, req, id, d.ID)); err != nil {
			return err
		}
	}
	if err := advanceOnDate(ctx, svc, id, cal.implementation); err != nil {
		return err
	}
	req.At = cal.designDone
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
		r := req
		r.At = cal.buildReported
		if _, err := svc.ReportMilestone(ctx, r, domain.ReportMilestone{ProposalID: p.id, MilestoneID: "build", Title: "Construction",
			Status: domain.MilestoneInProgress, Progress: 40, Spent: 15_000_000 * tenge, Due: "2026-09-30"}); err != nil {
			return err
		}
		seen[p.district]++
	}
	return nil
}

// advanceOnDate advances the cycle as the server's calendar would have on that date.
func advanceOnDate(ctx context.Context, svc *ledger.Service, id domain.CycleID, at time.Time) error {
	req := demoRequest
	req.At = at
	_, advanced, err := svc.AdvanceDue(ctx, req, id)
	if err == nil && !advanced {
		err = fmt.Errorf("cycle %s: no phase was due on %s", id, at.Format(time.RFC3339))
	}
	return err
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
