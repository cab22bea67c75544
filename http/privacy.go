package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// Everything the server writes into the public log about a request is either public by design (IDs of
// cycles, districts and proposals, amounts, texts) or passed through the server's secret: voter keys, and the
// keyed digests below that stand for the Idempotency-Key, the request ID and the request's hash. Nothing
// public is an unkeyed function of a request body, which holds a resident ID (docs/SECURITY.md).

// KeyFor returns the voter key of a resident under a cycle's voter-key scheme. Under domain.VoterKeysV2 it is
// "v" and 32 hex digits of HMAC-SHA-256(secret, "pbledger voter key v2", purpose, cycle, resident ID), so
// the keys of one resident for ballots, authorship and pledges, and in different cycles, differ and cannot be
// linked without the secret. Under v1 (cycles opened before v2: "" or "v1") it is Key, the same everywhere.
func (k *VoterKeys) KeyFor(scheme string, cycle domain.CycleID, purpose, residentID string) string {
	if scheme != domain.VoterKeysV2 {
		return k.Key(residentID)
	}
	return "v" + k.digest("pbledger voter key v2", purpose, string(cycle), residentID)[:32]
}

// Keyed returns a keyed digest (HMAC-SHA-256 under the voter-key secret, hex) of parts, labelled by label so
// that digests for different uses never coincide. The public sees only the digest; the operator, who holds
// the secret, can recompute it to find the events of a known request.
func (k *VoterKeys) Keyed(label string, parts ...string) string {
	return k.digest("pbledger "+label, parts...)
}

// digest is HMAC-SHA-256 under the secret of the label and the parts, each length-prefixed so that no two
// lists of parts are encoded alike.
func (k *VoterKeys) digest(label string, parts ...string) string {
	m := hmac.New(sha256.New, k.secret)
	var n [8]byte
	for _, p := range append([]string{label}, parts...) {
		l := uint64(len(p))
		for i := range n {
			n[i] = byte(l >> (56 - 8*i))
		}
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// CanonicalResidentID returns id in canonical form — Unicode NFC — after checking it is a valid resident ID
// (domain.CheckResidentID: no control or invisible characters, no surrounding white space, valid UTF-8, and
// the cycle's pattern if it declares one). Two spellings of one ID that NFC makes equal are one voter; every
// other difference is refused, never folded.
func CanonicalResidentID(id, pattern string) (string, error) {
	if !utf8.ValidString(id) {
		return "", errorf(domain.CodeInvalid, "resident_id is not valid UTF-8")
	}
	c := norm.NFC.String(id)
	if err := domain.CheckResidentID(c, pattern); err != nil {
		return "", err
	}
	return c, nil
}

// resident turns the resident ID the gateway passes into the pseudonymous voter key for one purpose in one
// cycle, under the cycle's scheme and resident-ID pattern. For a cycle that does not exist it uses the
// defaults and lets the ledger say what is wrong.
func (s *Server) resident(ctx context.Context, cycle domain.CycleID, purpose, id string) (domain.VoterKey, error) {
	var policy domain.ResidentPolicy
	if cycle != "" {
		p, err := s.ledger.ResidentPolicy(ctx, cycle)
		switch {
		case err == nil:
			policy = p
		case errors.Is(err, domain.ErrUnknownCycle), errors.Is(err, domain.ErrInvalid):
		default:
			return "", err
		}
	}
	c, err := CanonicalResidentID(id, policy.ResidentIDPattern)
	if err != nil {
		return "", err
	}
	return domain.VoterKey(s.voters.KeyFor(policy.VoterKeys, cycle, purpose, c)), nil
}

// proposalResident is resident for a command on an existing proposal, in the proposal's cycle.
func (s *Server) proposalResident(ctx context.Context, proposal domain.ProposalID, purpose, id string) (domain.VoterKey, error) {
	cycle, err := s.ledger.ProposalCycle(ctx, proposal)
	if err != nil && !errors.Is(err, domain.ErrUnknownProposal) && !errors.Is(err, domain.ErrInvalid) {
		return "", err
	}
	return s.resident(ctx, cycle, purpose, id)
}

// newCycleDefaults gives a cycle opened through the API the safer settings its body leaves out: voter keys
// per cycle and purpose (v2) and one district per resident (Almaty's rule). The domain's zero values are
// what the cycles opened before these settings existed did, so their logs replay unchanged; an API client
// that wants residents to vote in every district says districts_per_voter: <number of districts>.
func newCycleDefaults(cmd *domain.OpenCycle) {
	if cmd.VoterKeys == "" {
		cmd.VoterKeys = domain.VoterKeysV2
	}
	if cmd.DistrictsPerVoter == 0 {
		cmd.DistrictsPerVoter = 1
	}
}

// withheldBallot is what the feed shows of a ballot event while its cycle withholds results: where it was
// cast and by which voter key (turnout stays live), not what it chose.
type withheldBallot struct {
	CycleID         domain.CycleID    `json:"cycle_id"`
	DistrictID      domain.DistrictID `json:"district_id"`
	Voter           domain.VoterKey   `json:"voter"`
	ChoicesWithheld bool              `json:"choices_withheld"`
}

// feedData returns the data the public feed shows for rec: the event as stored, except the choices of a
// ballot in a cycle that withholds results now (projections.Model.Withheld). The feed reads the store, which
// may be ahead of the model: a cycle the model has not seen yet is asked of the ledger, and withheld if it
// hides results at all (or if that cannot be told). cache remembers the answer per cycle for one page.
func (s *Server) feedData(ctx context.Context, rec eventstore.RecordedEvent, cache map[domain.CycleID]bool) json.RawMessage {
	cycle, district, voter, withheld := s.ballotWithheld(ctx, rec, cache)
	if !withheld {
		return rec.Data
	}
	b, err := json.Marshal(withheldBallot{CycleID: cycle, DistrictID: district, Voter: voter, ChoicesWithheld: true})
	if err != nil {
		return json.RawMessage(`{"choices_withheld":true}`)
	}
	return b
}

// ballotWithheld reports whether rec is a ballot whose choices the public may not see now (the decision
// feedData explains); the transparency log serves such a leaf as its hash only.
func (s *Server) ballotWithheld(ctx context.Context, rec eventstore.RecordedEvent, cache map[domain.CycleID]bool) (domain.CycleID, domain.DistrictID, domain.VoterKey, bool) {
	if rec.Type != domain.EventBallotCast && rec.Type != domain.EventBallotReplaced {
		return "", "", "", false
	}
	cycle, district, voter, ok := domain.ParseBallotStream(rec.StreamID)
	if !ok {
		return "", "", "", false
	}
	withheld, seen := cache[cycle]
	if !seen {
		var known bool
		withheld, known = s.model.WithheldOrUnknown(cycle)
		if !known {
			p, err := s.ledger.ResidentPolicy(ctx, cycle)
			withheld = err != nil || p.HideResultsDuringVoting
		}
		cache[cycle] = withheld
	}
	return cycle, district, voter, withheld
}

// minEchoLen is the shortest resident ID that noEcho looks for inside other fields; shorter ones ("r1")
// would match by chance.
const minEchoLen = 6

// noEcho refuses a request that copies the resident ID into a field the log publishes (an ID, a title, a
// reason): the log may carry the resident only as a voter key.
func noEcho(residentID string, fields map[string]string) error {
	id := strings.TrimSpace(residentID)
	if len(id) < minEchoLen {
		return nil
	}
	for name, v := range fields {
		if strings.Contains(v, id) {
			return errorf(domain.CodeInvalid, "%s contains the resident_id; the log is public and may name residents only by voter key", name)
		}
	}
	return nil
}

// contentFields lists a proposal's public text fields for noEcho, with extra name/value pairs.
func contentFields(c domain.ProposalContent, extra ...string) map[string]string {
	m := map[string]string{"title": c.Title, "description": c.Description, "category": c.Category, "external_ref": c.ExternalRef}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// legacyRequestHash is the request hash as logs written before issue 8 hold it (unkeyed), only to recognise a
// retry of a request answered before the upgrade; it is never written again.
func legacyRequestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}
