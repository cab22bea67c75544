package http

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/translog"
	"github.com/pbledger/pbledger/ledger"
)

// Transparency is the transparency log the server publishes: the tree over the log and its signed
// checkpoints. Nil in Config means the server has none (the /v1/log routes answer 404).
type Transparency struct {
	Tree   *translog.Tree
	Notary *translog.Notary
}

// maxLeaves bounds one /v1/log/leaves answer.
const maxLeaves = 10000

func (s *Server) logRoutes(r chi.Router) {
	r.Get("/log/key", s.getLogKey)
	r.Get("/log/checkpoint", s.getLogCheckpoint)
	r.Get("/log/checkpoints", s.getLogCheckpoints)
	r.Get("/log/inclusion", s.getInclusion)
	r.Get("/log/consistency", s.getConsistency)
	r.Get("/log/leaves", s.getLeaves)
	r.Get("/receipts/{leaf}", s.getReceipt)
	r.Get("/cycles/{cycle}/districts/{district}/checkpoint", s.getAllocationCheckpoint)
}

func (s *Server) requireLog(w http.ResponseWriter, r *http.Request) bool {
	if s.tlog == nil {
		s.writeError(w, r, errorf("not_found", "this server keeps no transparency log"))
		return false
	}
	return true
}

func (s *Server) getLogKey(w http.ResponseWriter, r *http.Request) {
	if !s.requireLog(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.tlog.Notary.Verifier + "\n"))
}

func (s *Server) getLogCheckpoint(w http.ResponseWriter, r *http.Request) {
	if !s.requireLog(w, r) {
		return
	}
	c, ok := s.tlog.Notary.Latest()
	if !ok {
		s.writeError(w, r, errorf(codeUnavailable, "no checkpoint is signed yet; retry in a few seconds"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write([]byte(c.Note))
}

// checkpointJSON is a signed checkpoint in JSON answers.
type checkpointJSON struct {
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root"`
	// Note is the signed note (C2SP tlog-checkpoint text, a blank line, the signature lines).
	Note string `json:"note"`
}

func checkpointOf(c translog.SignedCheckpoint) *checkpointJSON {
	return &checkpointJSON{Size: c.Size, Root: c.Root, Note: c.Note}
}

func (s *Server) getLogCheckpoints(w http.ResponseWriter, r *http.Request) {
	if !s.requireLog(w, r) {
		return
	}
	all := s.tlog.Notary.All()
	out := struct {
		Verifier    string            `json:"verifier_key"`
		Checkpoints []*checkpointJSON `json:"checkpoints"`
	}{Verifier: s.tlog.Notary.Verifier, Checkpoints: []*checkpointJSON{}}
	for _, c := range all {
		out.Checkpoints = append(out.Checkpoints, checkpointOf(c))
	}
	s.writeJSON(w, http.StatusOK, out)
}

// intParam reads a whole-number query parameter; def if absent (def < 0: required).
func intParam(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if def < 0 {
			return 0, errorf(codeMalformed, "%s is required", name)
		}
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(codeMalformed, "%s must be a whole number, not %q", name, v)
	}
	return n, nil
}

// inclusionJSON is an inclusion proof: leaf_hash is in the tree of size whose root is root.
type inclusionJSON struct {
	Leaf     int64            `json:"leaf"`
	Size     int64            `json:"size"`
	LeafHash tlog.Hash        `json:"leaf_hash"`
	Root     tlog.Hash        `json:"root"`
	Proof    tlog.RecordProof `json:"proof"`
}

func (s *Server) inclusion(leaf, size int64) (inclusionJSON, error) {
	tree := s.tlog.Tree
	if leaf >= size || size > tree.Size() {
		return inclusionJSON{}, errorf(domain.CodeInvalid, "leaf %d is not in a tree of size %d (the tree has %d leaves)", leaf, size, tree.Size())
	}
	p, err := tree.InclusionProof(leaf, size)
	if err != nil {
		return inclusionJSON{}, err
	}
	lh, err := tree.LeafHash(leaf)
	if err != nil {
		return inclusionJSON{}, err
	}
	root, err := tree.Root(size)
	if err != nil {
		return inclusionJSON{}, err
	}
	if p == nil {
		p = tlog.RecordProof{}
	}
	return inclusionJSON{Leaf: leaf, Size: size, LeafHash: lh, Root: root, Proof: p}, nil
}

func (s *Server) getInclusion(w http.ResponseWriter, r *http.Request) {
	if !s.requireLog(w, r) {
		return
	}
	leaf, err := intParam(r, "leaf", -1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	latest, _ := s.tlog.Notary.Latest()
	size, err := intParam(r, "size", latest.Size)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ans, err := s.inclusion(leaf, size)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, ans)
}

func (s *Server) getConsistency(w http.ResponseWriter, r *http.Request) {
	if !s.requireLog(w, r) {
		return
	}
	from, err := intParam(r, "from", -1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	latest, _ := s.tlog.Notary.Latest()
	to, err := intParam(r, "to", latest.Size)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if from < 1 || from > to || to > s.tlog.Tree.Size() {
		s.writeError(w, r, errorf(domain.CodeInvalid, "a consistency proof needs 1 ≤ from ≤ to ≤ %d, not %d → %d", s.tlog.Tree.Size(), from, to))
		return
	}
	p, err := s.tlog.Tree.ConsistencyProof(from, to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p == nil {
		p = tlog.TreeProof{}
	}
	s.writeJSON(w, http.StatusOK, struct {
		From  int64          `json:"from"`
		To    int64          `json:"to"`
		Proof tlog.TreeProof `json:"proof"`
	}{from, to, p})
}

// leafJSON is one line of /v1/log/leaves: the leaf's canonical bytes (docs/VERIFY.md) and the event's
// position in this server's store. A ballot whose cycle withholds choices while voting is open is served as
// its leaf hash only (withheld true, no bytes) until voting closes.
type leafJSON struct {
	Leaf     int64               `json:"leaf"`
	Position eventstore.Position `json:"position"`
	Bytes    []byte              `json:"bytes,omitempty"`
	Hash     *tlog.Hash          `json:"hash,omitempty"`
	Withheld bool                `json:"withheld,omitempty"`
}

func (s *Server) getLeaves(w http.ResponseWriter, r *http.Request) {
	if !s.requireLog(w, r) {
		return
	}
	start, err := intParam(r, "start", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	size := s.tlog.Tree.Size()
	end, err := intParam(r, "end", min(size, start+1000))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if start >= end || end > size || end-start > maxLeaves {
		s.writeError(w, r, errorf(domain.CodeInvalid, "leaves start..end must satisfy start < end ≤ %d (the tree's size) and at most %d at once, not %d..%d", size, maxLeaves, start, end))
		return
	}
	from, err := s.tlog.Tree.Position(start)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	var buf []byte
	withheld := map[domain.CycleID]bool{}
	for i := start; i < end; {
		recs, err := s.store.ReadAll(r.Context(), from, int(min(end-i, 4096)))
		if err != nil || len(recs) == 0 {
			if i == start {
				s.writeError(w, r, errors.Join(err, errorf(codeUnavailable, "leaves could not be read")))
			}
			return
		}
		for k := range recs {
			line := leafJSON{Leaf: i, Position: recs[k].Position}
			if _, _, _, hide := s.ballotWithheld(r.Context(), recs[k], withheld); hide {
				h := translog.LeafHash(&recs[k])
				line.Hash, line.Withheld = &h, true
			} else {
				buf = translog.AppendLeaf(buf[:0], &recs[k])
				line.Bytes = buf
			}
			if err := enc.Encode(line); err != nil {
				return
			}
			i++
		}
		from = recs[len(recs)-1].Position + 1
	}
	bw.Flush()
}

// receiptJSON is what the answer to a cast ballot carries: where the ballot is in the log and where to get
// the proof of it.
type receiptJSON struct {
	Leaf     int64     `json:"leaf"`
	LeafHash tlog.Hash `json:"leaf_hash"`
	ProofURL string    `json:"proof_url"`
	// CheckURL is the public page that verifies the receipt in the voter's browser.
	CheckURL string `json:"check_url"`
}

// receiptWait bounds how long a ballot's answer waits for the tree to reach the ballot, on a store that cannot
// tell an event's ordinal (normally well under a millisecond; the bound only matters on an overloaded machine).
const receiptWait = 5 * time.Second

// receipt returns the receipt of the event a write appended last; nil if there is no transparency log or the
// receipt cannot be made in time (the answer then carries none; the ballot is recorded all the same).
//
// On a store that tells ordinals (eventstore.Ordinals) the receipt is made at once, without waiting for the
// tree: the leaf index is the event's ordinal, and the leaf hash is computed here from the event read back
// from its own stream (its recorded time is the store's), exactly as the follower will hash it. Otherwise the
// answer waits for the follower to reach the event and takes both from the tree.
func (s *Server) receipt(ctx context.Context, w ledger.Written) *receiptJSON {
	if s.tlog == nil {
		return nil
	}
	if leaf, h, ok := s.receiptNow(ctx, w); ok {
		return receiptOf(leaf, h)
	}
	p := w.Position
	leaf, ok := s.tlog.Tree.LeafAt(p)
	if !ok {
		// The tree has not reached the ballot yet: wait for it. The timer is made only then (a profile under
		// load showed it costing more than the rest of the receipt).
		ctx, cancel := context.WithTimeout(ctx, receiptWait)
		defer cancel()
		if _, err := s.tlog.Tree.WaitPosition(ctx, p); err != nil {
			return nil
		}
		if leaf, ok = s.tlog.Tree.LeafAt(p); !ok {
			return nil
		}
	}
	h, err := s.tlog.Tree.LeafHash(leaf)
	if err != nil {
		return nil
	}
	return receiptOf(leaf, h)
}

// receiptNow makes a receipt without the tree, if the store tells ordinals: false if it cannot.
func (s *Server) receiptNow(ctx context.Context, w ledger.Written) (int64, tlog.Hash, bool) {
	ord, ok := s.store.(eventstore.Ordinals)
	if !ok {
		return 0, tlog.Hash{}, false
	}
	leaf, ok := ord.Ordinal(w.Position)
	if !ok {
		return 0, tlog.Hash{}, false
	}
	// The write path reads its own stream, never $all: the last event written is at the stream's revision.
	recs, err := s.store.ReadStream(ctx, w.Stream, eventstore.Forwards, w.Revision, 1)
	if err != nil || len(recs) != 1 || recs[0].Position != w.Position {
		return 0, tlog.Hash{}, false
	}
	return leaf, translog.LeafHash(&recs[0]), true
}

func receiptOf(leaf int64, h tlog.Hash) *receiptJSON {
	n := strconv.FormatInt(leaf, 10)
	return &receiptJSON{Leaf: leaf, LeafHash: h, ProofURL: "/v1/receipts/" + n,
		CheckURL: "/check?leaf=" + n + "&hash=" + url.QueryEscape(h.String())}
}

// allocationCheckpoint returns the checkpoint covering the event at position p, waiting (briefly) for it to
// be signed.
func (s *Server) allocationCheckpoint(ctx context.Context, p eventstore.Position) (*checkpointJSON, error) {
	if s.tlog == nil {
		return nil, errorf("not_found", "this server keeps no transparency log")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.tlog.Tree.WaitPosition(ctx, p); err != nil {
		return nil, errorf(codeUnavailable, "the tree has not reached position %d yet; retry", p)
	}
	leaf, ok := s.tlog.Tree.LeafAt(p)
	if !ok {
		return nil, errorf("not_found", "no event at position %d", p)
	}
	c, err := s.tlog.Notary.WaitCovering(ctx, leaf+1)
	if err != nil {
		return nil, errorf(codeUnavailable, "no checkpoint covers leaf %d yet; retry", leaf)
	}
	return checkpointOf(c), nil
}

// receiptProofJSON is the answer to GET /v1/receipts/{leaf}: the event, its inclusion proof against the
// latest signed checkpoint, and the district's allocation once it is recorded.
type receiptProofJSON struct {
	inclusionJSON
	Checkpoint *checkpointJSON     `json:"checkpoint"`
	Verifier   string              `json:"verifier_key"`
	Position   eventstore.Position `json:"position"`
	Stream     string              `json:"stream"`
	Revision   eventstore.Revision `json:"revision"`
	Type       string              `json:"type"`
	LeafBytes  []byte              `json:"leaf_bytes,omitempty"`
	// ChoicesWithheld: the cycle hides ballots while voting is open, so the leaf's bytes are not served yet.
	ChoicesWithheld bool                 `json:"choices_withheld,omitempty"`
	Cycle           domain.CycleID       `json:"cycle,omitempty"`
	District        domain.DistrictID    `json:"district,omitempty"`
	Superseded      bool                 `json:"superseded"`
	Allocation      *receiptAllocationJS `json:"allocation,omitempty"`
}

// receiptAllocationJS is the allocation that counted a ballot's district, with the checkpoint that covers it.
type receiptAllocationJS struct {
	Rule           string                  `json:"rule"`
	BallotsCounted int                     `json:"ballots_counted"`
	InputDigest    string                  `json:"input_digest"`
	Winners        []domain.FundedProposal `json:"winners"`
	Position       eventstore.Position     `json:"position"`
	Checkpoint     *checkpointJSON         `json:"checkpoint,omitempty"`
}

func (s *Server) getReceipt(w http.ResponseWriter, r *http.Request) {
	if !s.requireLog(w, r) {
		return
	}
	leaf, err := strconv.ParseInt(chi.URLParam(r, "leaf"), 10, 64)
	if err != nil || leaf < 0 {
		s.writeError(w, r, errorf(codeMalformed, "a receipt is named by its leaf index, a whole number"))
		return
	}
	if leaf >= s.tlog.Tree.Size() && s.logHolds(r.Context(), leaf) {
		// A receipt given before the tree reached its ballot (receiptNow): wait for the tree, briefly.
		ctx, cancel := context.WithTimeout(r.Context(), receiptWait)
		err := s.tlog.Tree.WaitSize(ctx, leaf+1)
		cancel()
		if err != nil {
			s.writeError(w, r, errorf(codeUnavailable, "the tree has not reached leaf %d yet; retry", leaf))
			return
		}
	}
	latest, ok := s.tlog.Notary.Latest()
	if (!ok || leaf >= latest.Size) && leaf < s.tlog.Tree.Size() {
		// A fresh ballot (or a log with no checkpoint yet): ask for a checkpoint at once rather than make the
		// voter wait for the next one.
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		latest, err = s.tlog.Notary.WaitCovering(ctx, leaf+1)
		cancel()
		ok = err == nil
	}
	if !ok || leaf >= latest.Size {
		s.writeError(w, r, errorf("not_found", "no signed checkpoint covers leaf %d yet", leaf))
		return
	}
	inc, err := s.inclusion(leaf, latest.Size)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pos, err := s.tlog.Tree.Position(leaf)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	recs, err := s.store.ReadAll(r.Context(), pos, 1)
	if err != nil || len(recs) != 1 || recs[0].Position != pos {
		s.writeError(w, r, errors.Join(err, errorf(codeUnavailable, "leaf %d could not be read", leaf)))
		return
	}
	e := recs[0]
	ans := receiptProofJSON{inclusionJSON: inc, Checkpoint: checkpointOf(latest), Verifier: s.tlog.Notary.Verifier,
		Position: pos, Stream: e.StreamID, Revision: e.Revision, Type: e.Type, LeafBytes: translog.AppendLeaf(nil, &e)}
	if _, _, _, hide := s.ballotWithheld(r.Context(), e, map[domain.CycleID]bool{}); hide {
		ans.LeafBytes, ans.ChoicesWithheld = nil, true
	}
	if cycle, district, _, ok := domain.ParseBallotStream(e.StreamID); ok {
		ans.Cycle, ans.District = cycle, district
		if last, err := s.store.ReadStream(r.Context(), e.StreamID, eventstore.Backwards, eventstore.End, 1); err == nil && len(last) == 1 {
			ans.Superseded = last[0].Revision > e.Revision
		}
		if o, err := s.model.DistrictOutcome(cycle, district); err == nil {
			a := &receiptAllocationJS{Rule: string(o.Rule.Name), BallotsCounted: o.BallotsCounted, InputDigest: o.InputDigest,
				Winners: o.Winners, Position: o.RecordedAt}
			if l, ok := s.tlog.Tree.LeafAt(o.RecordedAt); ok {
				if c, ok := s.tlog.Notary.Covering(l + 1); ok {
					a.Checkpoint = checkpointOf(c)
				}
			}
			ans.Allocation = a
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	s.writeJSON(w, http.StatusOK, ans)
}

// logHolds reports whether the store holds an event with the given leaf index, on a store that tells
// ordinals; false otherwise (receipts are then only given for leaves the tree has).
func (s *Server) logHolds(ctx context.Context, leaf int64) bool {
	ord, ok := s.store.(eventstore.Ordinals)
	if !ok {
		return false
	}
	head, err := s.store.Head(ctx)
	if err != nil {
		return false
	}
	last, ok := ord.Ordinal(head)
	return ok && leaf <= last
}

func (s *Server) getAllocationCheckpoint(w http.ResponseWriter, r *http.Request) {
	if !s.requireLog(w, r) {
		return
	}
	o, err := s.model.DistrictOutcome(cycleParam(r), districtParam(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.allocationCheckpoint(r.Context(), o.RecordedAt)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, struct {
		Position   eventstore.Position `json:"position"`
		Checkpoint *checkpointJSON     `json:"checkpoint"`
	}{o.RecordedAt, c})
}

// pageCheck is the "check my ballot" page; ?leaf=&hash=&key= fill the form (a receipt's check_url does).
func (s *Server) pageCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l := s.pages.localeFor(w, r)
	s.render(w, r, l, "check.html", map[string]any{"Title": l.T("Check my ballot"), "Leaf": q.Get("leaf"), "Hash": q.Get("hash"), "Key": q.Get("key")})
}
