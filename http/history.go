package http

import (
	"encoding/json"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/projections"
)

// historyRow is one event of a proposal's history, told as a sentence in the reader's language. The raw
// event stays one click away (the event feed at its position), for auditors.
type historyRow struct {
	projections.HistoryEntry
	Sentence string
}

// historyFields is the union of the fields the sentences use, across the proposal events.
type historyFields struct {
	Title       string                 `json:"title"`
	Cost        domain.Money           `json:"cost"`
	Reason      string                 `json:"reason"`
	Role        domain.AssessorRole    `json:"role"`
	Score       int64                  `json:"score"`
	Amount      domain.Money           `json:"amount"`
	PledgerKind domain.PledgerKind     `json:"pledger_kind"`
	Status      domain.MilestoneStatus `json:"status"`
	Progress    int                    `json:"progress"`
	Spent       domain.Money           `json:"spent"`
}

func historyRows(l *locale, c projections.CycleDetail, h []projections.HistoryEntry) []historyRow {
	money := func(m domain.Money) string { return l.Money(m, c.CurrencyExponent, c.Currency) }
	rows := make([]historyRow, len(h))
	for i, e := range h {
		var f historyFields
		_ = json.Unmarshal(e.Data, &f) // a field that does not decode stays zero; the raw event is linked
		var s string
		switch e.Type {
		case domain.EventProposalSubmitted:
			s = l.T("Submitted with a cost of %s.", money(f.Cost))
		case domain.EventProposalRevised:
			s = l.T("Revised by its author; the cost is now %s.", money(f.Cost))
		case domain.EventProposalPublished:
			s = l.T("Published by a moderator: residents can vote for it.")
		case domain.EventProposalRejected:
			s = l.T("Rejected by a moderator: %s", f.Reason)
		case domain.EventProposalWithdrawn:
			s = l.T("Withdrawn by its author.")
		case domain.EventProposalScored:
			s = l.T("Scored %d by an assessor (%s).", f.Score, l.T(roleWord(f.Role)))
		case domain.EventProposalMarkedInfeasible:
			s = l.T("Marked infeasible by the budget commission: %s", f.Reason)
		case domain.EventProposalMarkedFeasible:
			s = l.T("Marked feasible again by the budget commission: %s", f.Reason)
		case domain.EventCoFinancingPledged:
			if f.PledgerKind == domain.PledgerBusiness {
				s = l.T("A business pledged %s of co-financing.", money(f.Amount))
			} else {
				s = l.T("A resident pledged %s of co-financing.", money(f.Amount))
			}
		case domain.EventMilestoneReported:
			s = l.T("Milestone “%s”: %s, %d%% done, %s spent.", f.Title, l.T(milestoneWord(f.Status)), f.Progress, money(f.Spent))
		default:
			s = e.Type
		}
		rows[i] = historyRow{HistoryEntry: e, Sentence: s}
	}
	return rows
}

// roleWord names an assessor role (a message key).
func roleWord(r domain.AssessorRole) string {
	switch r {
	case domain.RoleExpert:
		return "expert"
	case domain.RolePublicCouncil:
		return "public council"
	case domain.RoleBudgetCommission:
		return "budget commission"
	}
	return string(r)
}

// milestoneWord names a milestone status (a message key).
func milestoneWord(s domain.MilestoneStatus) string {
	switch s {
	case domain.MilestonePlanned:
		return "planned"
	case domain.MilestoneInProgress:
		return "in progress"
	case domain.MilestoneCompleted:
		return "completed"
	case domain.MilestoneDelayed:
		return "delayed"
	case domain.MilestoneCancelled:
		return "cancelled"
	}
	return string(s)
}
