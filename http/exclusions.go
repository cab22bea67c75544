package http

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/ledger"
)

// postExclusionGroup records the budget commission's decision that proposals of a district cannot all be
// built (greedy-exclusive): POST /v1/cycles/{cycle}/districts/{district}/exclusions with
// {"proposal_ids": [...], "reason": "..."}. Admin only: the commission's decisions are entered by the city's
// administration, whose principal is recorded as the official.
func (s *Server) postExclusionGroup(w http.ResponseWriter, r *http.Request) {
	cycle, district := chi.URLParam(r, "cycle"), chi.URLParam(r, "district")
	s.write(w, r, http.StatusCreated, []Role{RoleAdmin}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			ProposalIDs []domain.ProposalID `json:"proposal_ids"`
			Reason      string              `json:"reason"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.DeclareExclusionGroup(ctx, req, domain.DeclareExclusionGroup{CycleID: domain.CycleID(cycle),
			DistrictID: domain.DistrictID(district), ProposalIDs: in.ProposalIDs, Official: domain.OfficialID(p.Name), Reason: in.Reason})
	})
}
