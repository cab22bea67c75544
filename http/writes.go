package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// writeAnswer is the body of every successful write: the aggregate's ID and what was appended where. A retry
// with the same Idempotency-Key gets the same body.
type writeAnswer struct {
	ID string `json:"id"`
	ledger.Written
	// Receipt, on a cast ballot, says where the ballot is in the transparency log (translog.go).
	Receipt *receiptJSON `json:"receipt,omitempty"`
	// Checkpoint, on an allocation, is the signed checkpoint that covers it and the ballots it counted.
	Checkpoint *checkpointJSON `json:"checkpoint,omitempty"`
}

// command is what a write handler does once the request is authenticated and its body read.
type command func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error)

// write runs a command: authenticate, read the body (bounded), build the ledger request from the headers,
// run it, and answer with status, ETag (the stream's revision) and the position.
func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, roles []Role, location func(id string) string, run command) {
	s.writeWith(w, r, status, roles, location, run, nil)
}

// writeWith is write with a last step that adds to the answer (a receipt, a checkpoint).
func (s *Server) writeWith(w http.ResponseWriter, r *http.Request, status int, roles []Role, location func(id string) string, run command, decorate func(*writeAnswer)) {
	p, err := s.authenticate(r, roles...)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := s.readBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The request ID is the client's choice and goes into the public log: keyed too (the operator finds a
	// request's events by computing the same digest).
	req := ledger.Request{Principal: p.Name, Role: string(p.Role), RequestID: s.voters.Keyed("request id", requestID(r.Context()))[:24]}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if !sensibleID(key) {
			s.writeError(w, r, errorf(codeMalformed, "Idempotency-Key must be 1 to 128 printable ASCII characters"))
			return
		}
		// Both go into the public log, so both are keyed: the key may hold personal data, and the body holds a
		// resident ID, which an unkeyed hash would let anyone search for.
		req.IdempotencyKey = s.voters.Keyed("idempotency key", p.Name, key)
		req.RequestHash = s.voters.Keyed("request", r.Method, r.URL.Path, string(body))
		req.LegacyIdempotencyKey, req.LegacyRequestHash = key, legacyRequestHash(r, body)
	}
	if ims := r.Header.Values("If-Match"); len(ims) > 0 {
		pre, err := parseIfMatch(ims)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		req.IfMatch = pre
	}
	written, err := run(r.Context(), req, p, body)
	if err != nil {
		s.writeError(w, r, translate(err))
		return
	}
	ans := writeAnswer{ID: ledger.IDFromStream(written.Stream), Written: written}
	if decorate != nil {
		decorate(&ans)
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(uint64(written.Revision), 10)))
	w.Header().Set("X-Pbledger-Position", strconv.FormatUint(uint64(written.Position), 10))
	if location != nil {
		w.Header().Set("Location", location(ans.ID))
	}
	s.writeJSON(w, status, ans)
}

// translate turns application-layer errors into HTTP ones.
func translate(err error) error {
	var pe *ledger.PreconditionError
	if errors.As(err, &pe) {
		cur := int64(-1)
		if pe.Exists {
			cur = int64(pe.Current)
		}
		return &apiError{code: codePreconditionFailed, message: pe.Error(), current: &cur, cause: err}
	}
	if errors.Is(err, ledger.ErrIdempotencyKeyReused) || errors.Is(err, eventstore.ErrDuplicateEventID) {
		// The store refuses event IDs it holds; ours are derived from idempotency keys, so a duplicate
		// means the key was used before for another request.
		return &apiError{code: codeIdempotencyReuse, message: "this Idempotency-Key was used for a different request; use a new key", cause: err}
	}
	return err
}

// readBody reads a write's body, refusing oversized ones and wrong content types.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errorf(codeTooLarge, "the body is larger than %d bytes", s.maxBody)
		}
		// The cause names the sockets ("read tcp 10.0.0.5:8080->…: i/o timeout"): that is for the log, not
		// for the caller.
		s.log.InfoContext(r.Context(), "reading a request body failed", "path", r.URL.Path, "request_id", requestID(r.Context()), "err", err)
		return nil, errorf(codeMalformed, "the body could not be read: the connection failed or timed out before it was complete")
	}
	if err := checkContentType(r.Header.Values("Content-Type"), body); err != nil {
		return nil, err
	}
	return body, nil
}

// decode reads a JSON object strictly: unknown fields, trailing data and wrong types are errors that say where.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(codeMalformed, "the body is empty; it must be a JSON object")
	}
	if err := checkJSON(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if perr, ok := plainDecodeError(err); ok {
			return perr
		}
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return errorf(codeMalformed, "malformed JSON at byte %d: %v", syntax.Offset, syntax)
		case errors.As(err, &typ):
			return typeError(typ)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return errorf(codeMalformed, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errorf(codeMalformed, "the JSON ends too early")
		default:
			return errorf(codeMalformed, "malformed JSON: %v", err)
		}
	}
	if dec.More() {
		return errorf(codeMalformed, "unexpected data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(codeMalformed, "unexpected data after the JSON object")
	}
	return nil
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	if err := enc.Encode(v); err != nil {
		s.log.Debug("writing response", "err", err)
	}
}

func created(prefix string) func(string) string { return func(id string) string { return prefix + id } }

// ---- cycle commands (admin) ----

func (s *Server) postOpenCycle(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusCreated, []Role{RoleAdmin}, created("/v1/cycles/"), func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var cmd domain.OpenCycle
		if err := decode(body, &cmd); err != nil {
			return ledger.Written{}, err
		}
		newCycleDefaults(&cmd)
		return s.ledger.OpenCycle(ctx, req, cmd)
	})
}

func (s *Server) postAdvancePhase(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusOK, []Role{RoleAdmin}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			To     domain.Phase `json:"to"`
			Reason string       `json:"reason"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: domain.CycleID(chi.URLParam(r, "cycle")), To: in.To, Reason: in.Reason})
	})
}

// postReschedulePhase moves the date a phase begins: {"phase": "assessment", "starts": RFC 3339, "reason": "…"}.
func (s *Server) postReschedulePhase(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusOK, []Role{RoleAdmin}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			Phase  domain.Phase `json:"phase"`
			Starts time.Time    `json:"starts"`
			Reason string       `json:"reason"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.ReschedulePhase(ctx, req, domain.ReschedulePhase{CycleID: domain.CycleID(chi.URLParam(r, "cycle")),
			Phase: in.Phase, Starts: in.Starts, Reason: in.Reason})
	})
}

func (s *Server) postRegisterAssessor(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusCreated, []Role{RoleAdmin}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			AssessorID domain.AssessorID   `json:"assessor_id"`
			Role       domain.AssessorRole `json:"role"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.RegisterAssessor(ctx, req, domain.RegisterAssessor{CycleID: domain.CycleID(chi.URLParam(r, "cycle")), AssessorID: in.AssessorID, Role: in.Role})
	})
}

func (s *Server) postAllocate(w http.ResponseWriter, r *http.Request) {
	cycle, district := chi.URLParam(r, "cycle"), chi.URLParam(r, "district")
	s.writeWith(w, r, http.StatusCreated, []Role{RoleAdmin}, func(string) string {
		return "/v1/cycles/" + cycle + "/districts/" + district + "/outcome"
	}, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		if len(bytes.TrimSpace(body)) > 0 {
			var in struct{}
			if err := decode(body, &in); err != nil {
				return ledger.Written{}, err
			}
		}
		return s.ledger.Allocate(ctx, req, domain.CycleID(cycle), domain.DistrictID(district))
	}, func(ans *writeAnswer) {
		if s.tlog != nil {
			ans.Checkpoint, _ = s.allocationCheckpoint(r.Context(), ans.Position)
		}
	})
}

// ---- proposal commands ----

// proposalInput is the body of a submission or revision.
type proposalInput struct {
	ProposalID domain.ProposalID `json:"proposal_id,omitempty"`
	DistrictID domain.DistrictID `json:"district_id"`
	ResidentID string            `json:"resident_id"`
	domain.ProposalContent
	AuthorDetails *authorInput `json:"author_details,omitempty"`
}

func (s *Server) postSubmitProposal(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusCreated, []Role{RoleGateway}, created("/v1/proposals/"), func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in proposalInput
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		author, err := s.resident(ctx, domain.CycleID(chi.URLParam(r, "cycle")), domain.PurposeAuthor, in.ResidentID)
		if err != nil {
			return ledger.Written{}, err
		}
		if err := noEcho(in.ResidentID, contentFields(in.ProposalContent, "proposal_id", string(in.ProposalID))); err != nil {
			return ledger.Written{}, err
		}
		sealed, err := s.seal(author, in.AuthorDetails)
		if err != nil {
			return ledger.Written{}, err
		}
		if in.ProposalID == "" {
			in.ProposalID = ledger.NewProposalID(req)
		}
		return s.ledger.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: in.ProposalID,
			CycleID: domain.CycleID(chi.URLParam(r, "cycle")), DistrictID: in.DistrictID, Author: author, ProposalContent: in.ProposalContent, Personal: sealed})
	})
}

func (s *Server) postReviseProposal(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusOK, []Role{RoleGateway}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			ResidentID string `json:"resident_id"`
			domain.ProposalContent
			AuthorDetails *authorInput `json:"author_details,omitempty"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		author, err := s.proposalResident(ctx, domain.ProposalID(chi.URLParam(r, "proposal")), domain.PurposeAuthor, in.ResidentID)
		if err != nil {
			return ledger.Written{}, err
		}
		if err := noEcho(in.ResidentID, contentFields(in.ProposalContent)); err != nil {
			return ledger.Written{}, err
		}
		sealed, err := s.seal(author, in.AuthorDetails)
		if err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.ReviseProposal(ctx, req, domain.ReviseProposal{ProposalID: domain.ProposalID(chi.URLParam(r, "proposal")), Author: author, ProposalContent: in.ProposalContent, Personal: sealed})
	})
}

func (s *Server) postPublishProposal(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusOK, []Role{RoleModerator}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		if len(bytes.TrimSpace(body)) > 0 {
			var in struct{}
			if err := decode(body, &in); err != nil {
				return ledger.Written{}, err
			}
		}
		return s.ledger.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: domain.ProposalID(chi.URLParam(r, "proposal")), Moderator: domain.OfficialID(p.Name)})
	})
}

func (s *Server) postRejectProposal(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusOK, []Role{RoleModerator}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.RejectProposal(ctx, req, domain.RejectProposal{ProposalID: domain.ProposalID(chi.URLParam(r, "proposal")), Moderator: domain.OfficialID(p.Name), Reason: in.Reason})
	})
}

func (s *Server) postWithdrawProposal(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusOK, []Role{RoleGateway}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			ResidentID string `json:"resident_id"`
			Reason     string `json:"reason,omitempty"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		author, err := s.proposalResident(ctx, domain.ProposalID(chi.URLParam(r, "proposal")), domain.PurposeAuthor, in.ResidentID)
		if err != nil {
			return ledger.Written{}, err
		}
		if err := noEcho(in.ResidentID, map[string]string{"reason": in.Reason}); err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.WithdrawProposal(ctx, req, domain.WithdrawProposal{ProposalID: domain.ProposalID(chi.URLParam(r, "proposal")), Author: author, Reason: in.Reason})
	})
}

// assessor returns the assessor an assessment is recorded as: the token's own, or for an admin the one named.
func assessor(p Principal, named domain.AssessorID) (domain.AssessorID, error) {
	if p.Role == RoleAssessor {
		if named != "" && named != domain.AssessorID(p.Assessor) {
			return "", errorf(domain.CodeForbidden, "this token acts as assessor %q, not %q", p.Assessor, named)
		}
		return domain.AssessorID(p.Assessor), nil
	}
	if named == "" {
		return "", errorf(domain.CodeInvalid, "assessor_id is required when an admin records an assessment")
	}
	return named, nil
}

func (s *Server) postScoreProposal(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusCreated, []Role{RoleAssessor}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			AssessorID domain.AssessorID       `json:"assessor_id,omitempty"`
			Score      int64                   `json:"score"`
			Criteria   []domain.CriterionScore `json:"criteria,omitempty"`
			Comment    string                  `json:"comment,omitempty"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		a, err := assessor(p, in.AssessorID)
		if err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.ScoreProposal(ctx, req, domain.ScoreProposal{ProposalID: domain.ProposalID(chi.URLParam(r, "proposal")),
			AssessorID: a, Score: in.Score, Criteria: in.Criteria, Comment: in.Comment})
	})
}

// feasibilityInput is the body of the infeasible and feasible commands.
type feasibilityInput struct {
	AssessorID domain.AssessorID `json:"assessor_id,omitempty"`
	Reason     string            `json:"reason"`
}

func (s *Server) postMarkInfeasible(w http.ResponseWriter, r *http.Request) {
	s.feasibility(w, r, func(ctx context.Context, req ledger.Request, id domain.ProposalID, a domain.AssessorID, reason string) (ledger.Written, error) {
		return s.ledger.MarkInfeasible(ctx, req, domain.MarkInfeasible{ProposalID: id, AssessorID: a, Reason: reason})
	})
}

func (s *Server) postMarkFeasible(w http.ResponseWriter, r *http.Request) {
	s.feasibility(w, r, func(ctx context.Context, req ledger.Request, id domain.ProposalID, a domain.AssessorID, reason string) (ledger.Written, error) {
		return s.ledger.MarkFeasible(ctx, req, domain.MarkFeasible{ProposalID: id, AssessorID: a, Reason: reason})
	})
}

// feasibility runs the budget commission's infeasible and feasible commands, which take the same body.
func (s *Server) feasibility(w http.ResponseWriter, r *http.Request, run func(context.Context, ledger.Request, domain.ProposalID, domain.AssessorID, string) (ledger.Written, error)) {
	s.write(w, r, http.StatusOK, []Role{RoleAssessor}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in feasibilityInput
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		a, err := assessor(p, in.AssessorID)
		if err != nil {
			return ledger.Written{}, err
		}
		return run(ctx, req, domain.ProposalID(chi.URLParam(r, "proposal")), a, in.Reason)
	})
}

func (s *Server) postPledge(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusCreated, []Role{RoleGateway}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			PledgeID domain.PledgeID    `json:"pledge_id"`
			Kind     domain.PledgerKind `json:"pledger_kind"`
			// A resident pledges as themselves (resident_id, kept pseudonymous); a business by its public ID.
			ResidentID string       `json:"resident_id,omitempty"`
			Business   string       `json:"business_id,omitempty"`
			Amount     domain.Money `json:"amount"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		var pledger domain.PledgerID
		switch in.Kind {
		case domain.PledgerResident:
			if in.Business != "" {
				return ledger.Written{}, errorf(domain.CodeInvalid, "a resident's pledge names resident_id, not business_id")
			}
			key, err := s.proposalResident(ctx, domain.ProposalID(chi.URLParam(r, "proposal")), domain.PurposePledge, in.ResidentID)
			if err != nil {
				return ledger.Written{}, err
			}
			if err := noEcho(in.ResidentID, map[string]string{"pledge_id": string(in.PledgeID)}); err != nil {
				return ledger.Written{}, err
			}
			pledger = domain.PledgerID(key)
		case domain.PledgerBusiness:
			if in.ResidentID != "" {
				return ledger.Written{}, errorf(domain.CodeInvalid, "a business's pledge names business_id, not resident_id")
			}
			pledger = domain.PledgerID(in.Business)
		default:
			return ledger.Written{}, errorf(domain.CodeInvalid, "pledger_kind must be %q or %q", domain.PledgerResident, domain.PledgerBusiness)
		}
		return s.ledger.PledgeCoFinancing(ctx, req, domain.PledgeCoFinancing{ProposalID: domain.ProposalID(chi.URLParam(r, "proposal")),
			PledgeID: in.PledgeID, Pledger: pledger, PledgerKind: in.Kind, Amount: in.Amount})
	})
}

func (s *Server) postMilestone(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusOK, []Role{RoleAdmin}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var cmd domain.ReportMilestone
		if err := decode(body, &cmd); err != nil {
			return ledger.Written{}, err
		}
		id := domain.ProposalID(chi.URLParam(r, "proposal"))
		if cmd.ProposalID != "" && cmd.ProposalID != id {
			return ledger.Written{}, errorf(domain.CodeInvalid, "the body names proposal %q but the URL %q", cmd.ProposalID, id)
		}
		cmd.ProposalID = id
		return s.ledger.ReportMilestone(ctx, req, cmd)
	})
}

// ---- ballots ----

func (s *Server) postCastBallot(w http.ResponseWriter, r *http.Request) {
	s.writeWith(w, r, http.StatusCreated, []Role{RoleGateway}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			DistrictID domain.DistrictID     `json:"district_id"`
			ResidentID string                `json:"resident_id"`
			Choices    []domain.BallotChoice `json:"choices"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		voter, err := s.resident(ctx, domain.CycleID(chi.URLParam(r, "cycle")), domain.PurposeBallot, in.ResidentID)
		if err != nil {
			return ledger.Written{}, err
		}
		return s.ledger.CastBallot(ctx, req, domain.CastBallot{CycleID: domain.CycleID(chi.URLParam(r, "cycle")), DistrictID: in.DistrictID, Voter: voter, Choices: in.Choices})
	}, func(ans *writeAnswer) { ans.Receipt = s.receipt(r.Context(), ans.Written) })
}
