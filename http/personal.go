package http

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/personal"
	"github.com/pbledger/pbledger/projections"
)

// Personal data of proposal authors (name, contact, a personal note) is sealed under a key per author kept in
// the personal.Vault, outside the log; the public sees the name (or "erased"), moderators and admins the rest.
// An erasure destroys the key and appends a PersonalDataErased event (docs/SECURITY.md).

// Erased is what readers see instead of erased personal data.
const Erased = "erased"

// authorInput is the author's personal data in a submission or revision.
type authorInput struct {
	Name    string `json:"name,omitempty"`
	Contact string `json:"contact,omitempty"`
	Note    string `json:"note,omitempty"`
}

func checkPersonalText(what, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return errorf(domain.CodeInvalid, "author_details.%s is not valid UTF-8", what)
	}
	if utf8.RuneCountInString(s) > max {
		return errorf(domain.CodeInvalid, "author_details.%s is longer than %d characters", what, max)
	}
	for _, r := range s {
		if (unicode.IsControl(r) && !(multiline && r == '\n')) || unicode.Is(unicode.Cf, r) {
			return errorf(domain.CodeInvalid, "author_details.%s contains the control or invisible character %U", what, r)
		}
	}
	return nil
}

// seal seals an author's personal data under the author's key; nil in, nil out.
func (s *Server) seal(author domain.VoterKey, in *authorInput) (*domain.Sealed, error) {
	if in == nil || (*in == authorInput{}) {
		return nil, nil
	}
	if s.personal == nil {
		return nil, errorf(domain.CodeInvalid, "this server keeps no personal data: leave out author_details")
	}
	for _, f := range []struct {
		what, v   string
		max       int
		multiline bool
	}{{"name", in.Name, 200, false}, {"contact", in.Contact, 200, false}, {"note", in.Note, 2000, true}} {
		if err := checkPersonalText(f.what, f.v, f.max, f.multiline); err != nil {
			return nil, err
		}
	}
	sealed, err := s.personal.Seal(string(author), personal.Data(*in))
	if errors.Is(err, personal.ErrErased) {
		return nil, errorf(domain.CodeConflict, "this author's personal data was erased at their request; it cannot be stored again under the same key")
	}
	return sealed, err
}

// authorView is what a read shows of an author's personal data.
type authorView struct {
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
	Note    string `json:"note,omitempty"`
	Erased  bool   `json:"erased,omitempty"`
}

// proposalAnswer is a proposal as GET /v1/proposals/{id} answers it.
type proposalAnswer struct {
	projections.ProposalDetail
	AuthorDetails *authorView `json:"author_details,omitempty"`
}

// authorDetails opens a proposal's sealed personal data for a reader: the name for everyone, contact and note
// only for a moderator or admin token. Erased data shows as "erased".
func (s *Server) authorDetails(r *http.Request, sealed *domain.Sealed) *authorView {
	if sealed == nil {
		return nil
	}
	if s.personal == nil {
		return &authorView{Name: Erased, Erased: true}
	}
	d, err := s.personal.Open(sealed)
	if err != nil {
		if !errors.Is(err, personal.ErrErased) {
			s.log.WarnContext(r.Context(), "personal data unreadable", "key_id", sealed.KeyID, "err", err)
		}
		return &authorView{Name: Erased, Erased: true}
	}
	v := &authorView{Name: d.Name}
	if r.Header.Get("Authorization") != "" {
		if _, err := s.authenticate(r, RoleModerator); err == nil {
			v.Contact, v.Note = d.Contact, d.Note
		}
	}
	return v
}

// ErasePersonalData destroys the key keyID in vault and appends the audit record. It is what the admin
// endpoint and `pbledger erase` run.
//
// Errors: a *domain.Error not_found when the vault has no such key, conflict when it was already erased.
func ErasePersonalData(ctx context.Context, svc *ledger.Service, vault *personal.Vault, req ledger.Request, keyID, reason string) (ledger.Written, error) {
	e := domain.PersonalDataErased{KeyID: keyID, Reason: reason}
	if err := e.Validate(); err != nil {
		return ledger.Written{}, err
	}
	switch err := vault.Erase(keyID); {
	case errors.Is(err, personal.ErrNoKey):
		return ledger.Written{}, &domain.Error{Code: domain.CodeNotFound, Message: "no personal data is kept under key " + keyID, Err: err}
	case errors.Is(err, personal.ErrErased):
		return ledger.Written{}, &domain.Error{Code: domain.CodeConflict, Message: "the personal data under key " + keyID + " was already erased", Err: err}
	case err != nil:
		return ledger.Written{}, err
	}
	return svc.RecordErasure(ctx, req, e)
}

// AuthorKeyID returns the key an author's personal data is sealed under in a cycle: their author voter key.
func AuthorKeyID(ctx context.Context, svc *ledger.Service, voters *VoterKeys, cycle domain.CycleID, residentID string) (string, error) {
	p, err := svc.ResidentPolicy(ctx, cycle)
	if err != nil {
		return "", err
	}
	id, err := CanonicalResidentID(residentID, p.ResidentIDPattern)
	if err != nil {
		return "", err
	}
	return voters.KeyFor(p.VoterKeys, cycle, domain.PurposeAuthor, id), nil
}

// postErasure erases an author's personal data: named by a proposal of theirs, or by cycle and resident ID.
func (s *Server) postErasure(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusCreated, []Role{RoleAdmin}, nil, func(ctx context.Context, req ledger.Request, p Principal, body []byte) (ledger.Written, error) {
		var in struct {
			ProposalID domain.ProposalID `json:"proposal_id,omitempty"`
			CycleID    domain.CycleID    `json:"cycle_id,omitempty"`
			ResidentID string            `json:"resident_id,omitempty"`
			Reason     string            `json:"reason,omitempty"`
		}
		if err := decode(body, &in); err != nil {
			return ledger.Written{}, err
		}
		if s.personal == nil {
			return ledger.Written{}, errorf(domain.CodeNotFound, "this server keeps no personal data")
		}
		var keyID string
		switch {
		case in.ProposalID != "" && in.CycleID == "" && in.ResidentID == "":
			id, err := s.ledger.ProposalPersonalKey(ctx, in.ProposalID)
			if err != nil {
				return ledger.Written{}, err
			}
			keyID = id
		case in.ProposalID == "" && in.CycleID != "" && in.ResidentID != "":
			id, err := AuthorKeyID(ctx, s.ledger, s.voters, in.CycleID, in.ResidentID)
			if err != nil {
				return ledger.Written{}, err
			}
			keyID = id
		default:
			return ledger.Written{}, errorf(domain.CodeInvalid, "name either proposal_id, or cycle_id and resident_id")
		}
		return ErasePersonalData(ctx, s.ledger, s.personal, req, keyID, in.Reason)
	})
}
