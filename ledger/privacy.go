package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// ResidentPolicy returns what a cycle declares about its residents (voter-key scheme, districts per voter,
// resident-ID pattern, hidden results), for the adapter that turns resident IDs into voter keys.
//
// Errors: a *domain.Error with ErrUnknownCycle when the cycle does not exist.
func (s *Service) ResidentPolicy(ctx context.Context, id domain.CycleID) (domain.ResidentPolicy, error) {
	if err := id.Validate(); err != nil {
		return domain.ResidentPolicy{}, err
	}
	ce, _, err := s.openedCycle(ctx, id)
	if err != nil {
		return domain.ResidentPolicy{}, err
	}
	if ce == nil {
		return domain.ResidentPolicy{}, unknownCycle(id, nil)
	}
	if c := ce.cur.Load(); c != nil {
		return c.ResidentPolicy(), nil
	}
	// The policy is fixed when the cycle opens, so reading it needs no lock on the entry.
	c, err := s.loadCycle(ctx, id)
	if err != nil {
		return domain.ResidentPolicy{}, err
	}
	return c.ResidentPolicy(), nil
}

// ProposalCycle returns the cycle a proposal belongs to.
//
// Errors: a *domain.Error with ErrUnknownProposal when it does not exist.
func (s *Service) ProposalCycle(ctx context.Context, id domain.ProposalID) (domain.CycleID, error) {
	if err := id.Validate(); err != nil {
		return "", err
	}
	p, err := s.currentProposal(ctx, id)
	if err != nil {
		return "", err
	}
	if !p.Submitted() {
		return "", &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf("proposal %q does not exist", id), Err: domain.ErrUnknownProposal}
	}
	return p.CycleID(), nil
}

// claimDistrict records, before a voter's first ballot in a district, that the voter uses one of the districts
// the cycle allows (ResidentPolicy.DistrictsPerVoter). The claim is appended with the revision it was decided
// on, so of ballots racing in different districts only as many as allowed get past it. Cycles that allow
// every district skip it, so they pay nothing. The claim carries no idempotency key: a retried ballot finds
// its district already claimed.
func (s *Service) claimDistrict(ctx context.Context, req Request, c *domain.Cycle, cmd domain.CastBallot) error {
	if !c.LimitsDistricts() {
		return nil
	}
	stream := domain.ClaimStream(cmd.CycleID, cmd.Voter)
	evs, err := s.readStream(ctx, stream)
	if err != nil {
		return err
	}
	var v domain.VoterClaims
	if err := v.Load(evs...); err != nil {
		return fmt.Errorf("ledger: load %s: %w", stream, err)
	}
	if err := v.Claim(c, cmd.Voter, cmd.DistrictID); err != nil {
		return err
	}
	changes := v.Changes()
	if len(changes) == 0 {
		return nil
	}
	claimReq := Request{Principal: req.Principal, Role: req.Role, RequestID: req.RequestID}
	_, err = s.appendWithIDs(ctx, claimReq, "CastBallot", stream, expected(v.Version()), changes, []uuid.UUID{uuid.New()})
	if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		return &domain.Error{Code: domain.CodeConflict, Err: domain.ErrDistrictLimit,
			Message: fmt.Sprintf("this resident voted in another district of cycle %q at the same moment", cmd.CycleID)}
	}
	return err
}

// RecordErasure appends the audit record of an erasure (the key is destroyed by the caller, outside the log).
func (s *Service) RecordErasure(ctx context.Context, req Request, e domain.PersonalDataErased) (Written, error) {
	if err := e.Validate(); err != nil {
		return Written{}, err
	}
	return s.idempotent(ctx, req, domain.ErasureStream, nil, func() (Written, error) {
		return s.append(ctx, req, "ErasePersonalData", domain.ErasureStream, eventstore.Any(), []domain.Event{e})
	})
}

// metadataJSON encodes a request's metadata.
func metadataJSON(req Request, command string) ([]byte, error) {
	return json.Marshal(Metadata{
		Principal: req.Principal, Role: req.Role, RequestID: req.RequestID, Command: command,
		IdempotencyKey: req.IdempotencyKey, RequestHash: req.RequestHash, EffectiveAt: req.At,
	})
}

// ProposalPersonalKey returns the key ID the proposal's author's personal data is sealed under.
//
// Errors: not_found when the proposal does not exist or holds no personal data.
func (s *Service) ProposalPersonalKey(ctx context.Context, id domain.ProposalID) (string, error) {
	if err := id.Validate(); err != nil {
		return "", err
	}
	p, err := s.loadProposal(ctx, id)
	if err != nil {
		return "", err
	}
	if !p.Submitted() {
		return "", &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf("proposal %q does not exist", id), Err: domain.ErrUnknownProposal}
	}
	sealed := p.State().Personal
	if sealed == nil {
		return "", &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf("proposal %q holds no personal data", id)}
	}
	return sealed.KeyID, nil
}
