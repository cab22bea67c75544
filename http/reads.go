package http

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/pabulib"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/projections"
)

// minPosition handles ?min_position=: the read waits until the read model has applied that position (to read
// one's own write), up to the server's read wait.
func (s *Server) minPosition(r *http.Request) (eventstore.Position, error) {
	v := r.URL.Query().Get("min_position")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errorf(codeMalformed, "min_position must be a whole number, not %q", v)
	}
	p := eventstore.Position(n)
	head, err := s.store.Head(r.Context())
	if err != nil {
		return 0, err
	}
	if p > head {
		return 0, errorf(domain.CodeInvalid, "min_position %d is beyond the last position in the log (%d)", p, head)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.wait)
	defer cancel()
	if err := s.model.WaitFor(ctx, p); err != nil {
		return 0, errorf(codeUnavailable, "the read model did not reach position %d within %s; retry", p, s.wait)
	}
	return p, nil
}

// read answers a read: it waits for ?min_position=, runs the query and writes its JSON with the position
// it reflects in X-Pbledger-Position.
func (s *Server) read(w http.ResponseWriter, r *http.Request, query func(min eventstore.Position) (any, eventstore.Position, error)) {
	min, err := s.minPosition(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, pos, err := query(min)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("X-Pbledger-Position", strconv.FormatUint(uint64(pos), 10))
	w.Header().Set("Cache-Control", "no-cache")
	s.writeJSON(w, http.StatusOK, v)
}

func cycleParam(r *http.Request) domain.CycleID { return domain.CycleID(chi.URLParam(r, "cycle")) }
func districtParam(r *http.Request) domain.DistrictID {
	return domain.DistrictID(chi.URLParam(r, "district"))
}

// cyclesAnswer is the list of cycles.
type cyclesAnswer struct {
	Cycles []projections.CycleSummary `json:"cycles"`
	projections.At
}

func (s *Server) getCycles(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, func(eventstore.Position) (any, eventstore.Position, error) {
		cs, at := s.model.Cycles()
		return cyclesAnswer{Cycles: cs, At: at}, at.Position, nil
	})
}

func (s *Server) getCycle(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, func(eventstore.Position) (any, eventstore.Position, error) {
		c, err := s.model.Cycle(cycleParam(r))
		return c, c.Position, err
	})
}

// balancesAnswer is every district's balance and the citywide totals.
type balancesAnswer struct {
	Cycle     domain.CycleID        `json:"cycle"`
	Districts []projections.Balance `json:"districts"`
	Totals    projections.Balance   `json:"totals"`
	projections.At
}

func (s *Server) getCycleBalances(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, func(eventstore.Position) (any, eventstore.Position, error) {
		c, err := s.model.Cycle(cycleParam(r))
		if err != nil {
			return nil, 0, err
		}
		a := balancesAnswer{Cycle: c.ID, Totals: c.Totals, At: c.At}
		for _, d := range c.DistrictViews {
			a.Districts = append(a.Districts, d.Balance)
		}
		return a, c.Position, nil
	})
}

// trackerAnswer is the implementation tracker.
type trackerAnswer struct {
	Cycle    domain.CycleID            `json:"cycle"`
	District domain.DistrictID         `json:"district,omitempty"`
	Items    []projections.TrackerItem `json:"items"`
	projections.At
}

func (s *Server) getTracker(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, func(eventstore.Position) (any, eventstore.Position, error) {
		district := domain.DistrictID(r.URL.Query().Get("district"))
		items, at, err := s.model.Tracker(cycleParam(r), district)
		return trackerAnswer{Cycle: cycleParam(r), District: district, Items: items, At: at}, at.Position, err
	})
}

// getRanking is the busiest read: the ranking comes already encoded from the model's cache.
func (s *Server) getRanking(w http.ResponseWriter, r *http.Request) {
	min, err := s.minPosition(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, pos, err := s.model.DistrictRankingJSON(cycleParam(r), districtParam(r), min)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("X-Pbledger-Position", strconv.FormatUint(uint64(pos), 10))
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Type", "application/json")
	w.Write(b)
}

// balanceAnswer is one district's balance.
type balanceAnswer struct {
	projections.Balance
	projections.At
}

func (s *Server) getBalance(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, func(eventstore.Position) (any, eventstore.Position, error) {
		b, at, err := s.model.DistrictBalance(cycleParam(r), districtParam(r))
		return balanceAnswer{Balance: b, At: at}, at.Position, err
	})
}

func (s *Server) getOutcome(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, func(eventstore.Position) (any, eventstore.Position, error) {
		o, err := s.model.DistrictOutcome(cycleParam(r), districtParam(r))
		return o, o.Position, err
	})
}

func (s *Server) getProposal(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, func(eventstore.Position) (any, eventstore.Position, error) {
		p, err := s.model.Proposal(domain.ProposalID(chi.URLParam(r, "proposal")))
		if err != nil {
			return nil, 0, err
		}
		w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(uint64(p.Revision), 10)))
		return proposalAnswer{ProposalDetail: p, AuthorDetails: s.authorDetails(r, p.Personal)}, p.Position, nil
	})
}

// feedEvent is one line of the auditors' event feed.
type feedEvent struct {
	Position eventstore.Position `json:"position"`
	Stream   string              `json:"stream"`
	Revision eventstore.Revision `json:"revision"`
	ID       string              `json:"id"`
	Type     string              `json:"type"`
	Recorded time.Time           `json:"recorded"`
	Data     json.RawMessage     `json:"data"`
	Metadata json.RawMessage     `json:"metadata,omitempty"`
	// Leaf is the event's leaf index in the transparency log, once the tree has reached it.
	Leaf *int64 `json:"leaf,omitempty"`
}

const maxFeedLimit = 10000

// getEvents is the auditors' feed: the log in global order, as NDJSON, after a position.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, limit := uint64(0), 1000
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.writeError(w, r, errorf(codeMalformed, "after must be a whole number (a position), not %q", v))
			return
		}
		after = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFeedLimit {
			s.writeError(w, r, errorf(codeMalformed, "limit must be a whole number from 1 to %d, not %q", maxFeedLimit, v))
			return
		}
		limit = n
	}
	head, err := s.store.Head(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("X-Pbledger-Head", strconv.FormatUint(uint64(head), 10))
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	from := eventstore.Position(after) + 1
	withheld := map[domain.CycleID]bool{}
	for written := 0; written < limit && eventstore.Position(after) < head; {
		recs, err := s.store.ReadAll(r.Context(), from, min(limit-written, 4096))
		if err != nil {
			if written == 0 {
				s.writeError(w, r, err)
			} else {
				s.log.Error("event feed", "err", err)
			}
			return
		}
		if len(recs) == 0 {
			break
		}
		for _, rec := range recs {
			fe := feedEvent{Position: rec.Position, Stream: rec.StreamID, Revision: rec.Revision, ID: rec.ID.String(),
				Type: rec.Type, Recorded: rec.Recorded, Data: s.feedData(r.Context(), rec, withheld)}
			if len(rec.Metadata) > 0 {
				fe.Metadata = rec.Metadata
			}
			if s.tlog != nil {
				if leaf, ok := s.tlog.Tree.LeafAt(rec.Position); ok {
					fe.Leaf = &leaf
				}
			}
			if err := enc.Encode(fe); err != nil {
				return
			}
		}
		written += len(recs)
		from = recs[len(recs)-1].Position + 1
	}
	bw.Flush()
}

// getPabulib writes a district's outcome input as a Pabulib file, so anyone can recompute the outcome with
// independent tools. After allocation the file's input_digest equals the recorded one.
func (s *Server) getPabulib(w http.ResponseWriter, r *http.Request) {
	if _, err := s.minPosition(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	cycle, district := cycleParam(r), districtParam(r)
	if s.model.Withheld(cycle) {
		s.writeError(w, r, projections.ErrWithheld) // its votes section would show the ballots
		return
	}
	in, rec, at, err := s.model.DistrictInput(cycle, district)
	if errors.Is(err, projections.ErrBallotsInLog) {
		in, rec, at, err = s.model.AllocatedInput(r.Context(), s.store, cycle, district)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.model.Cycle(cycle)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := string(district)
	for _, d := range c.Districts {
		if d.ID == district {
			name = d.Name
		}
	}
	meta := []pabulib.KV{
		{Key: "description", Value: c.Name + ", " + name},
		{Key: "unit", Value: c.Name},
		{Key: "district", Value: name},
		{Key: "instance", Value: string(cycle) + "/" + string(district)},
		{Key: "currency", Value: c.Currency},
		{Key: "log_position", Value: strconv.FormatUint(uint64(at.Position), 10)},
	}
	if rec != nil {
		meta = append(meta, pabulib.KV{Key: pabulib.MetaRecordedDigest, Value: rec.InputDigest})
	} else {
		meta = append(meta, pabulib.KV{Key: "comment", Value: "provisional: voting or assessment is not over; the lot is not drawn yet"})
	}
	var buf bytes.Buffer
	if err := pabulib.Write(&buf, pabulib.FromInput(in, c.CurrencyExponent, meta)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", string(cycle)+"_"+string(district)+".pb"))
	w.Header().Set("X-Pbledger-Position", strconv.FormatUint(uint64(at.Position), 10))
	w.Write(buf.Bytes())
}
