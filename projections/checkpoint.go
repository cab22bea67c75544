package projections

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// checkpointFormat is the version of the checkpoint file written. A checkpoint of another version is ignored
// and the model rebuilt from the log (the checkpoint is a cache, the log is the truth), except the previous
// version, legacyCheckpointFormat, which is still read.
//
// Format 3 is a stream of gob values: a checkpoint header (its Cycles, Proposals and Idem empty, the number
// of values that follow in ProposalChunks, CycleCount and IdemChunks), then the proposals in chunks, then
// each cycle on its own, then the idempotency records in chunks; a district's ballots are kept by column
// (districtSnap). Format 2 was a single gob value with every ballot a struct repeating its cycle, district
// and proposal names: for the Pabulib library (a million ballots kept, in the cycles not allocated) 190 MB
// that took seconds to read, all of it in memory at once.
const checkpointFormat = 3

// legacyCheckpointFormat is the previous format, still read.
const legacyCheckpointFormat = 2

// checkpoint is the persisted model: in format 3 the header, in format 2 the whole of it.
type checkpoint struct {
	Format    int
	Position  eventstore.Position
	LastID    uuid.UUID
	At        time.Time
	Cycles    []cycleSnap
	Proposals []proposalSnap
	Idem      []idemSnap
	Late      int64
	Unknown   int64
	// Format 3: how many values follow the header, of each kind, in this order.
	ProposalChunks int
	CycleCount     int
	IdemChunks     int
}

// checkpointChunk is how many proposals or idempotency records one value of a format 3 stream holds.
const checkpointChunk = 4096

type cycleSnap struct {
	State       domain.CycleState
	Version     int
	VotingOver  bool
	AllocatedAt map[domain.DistrictID]eventstore.Position
	Districts   []districtSnap
}

type districtSnap struct {
	ID        domain.DistrictID
	Proposals []domain.ProposalID
	Version   uint64
	Ballots   []ballotSnap // format 2: in the order first cast; none once Dropped
	// Dropped, Counted and Votes: the district's allocation is recorded and its ballots were let go
	// (districtView.drop); Counted and Votes are what remains of them. In format 3 Votes is kept for every
	// district.
	Dropped bool
	Counted int
	Votes   map[domain.ProposalID]int64

	// Format 3: the ballots, by column, in the order first cast. Ballot i's voter key is the next
	// VoterLens[i] bytes of VoterKeys; its version is Versions[i] and it was replaced Replacements[i] times
	// (nil: never); it has ChoiceCounts[i] choices, the next ones of ChoiceRefs, each an index into Proposals
	// or, past its end, into Extra, with ChoicePoints (nil when every choice has 0 points). The ballot's cycle
	// and district are the district's.
	VoterKeys    string
	VoterLens    []int32
	Versions     []int
	Replacements []int
	ChoiceCounts []int32
	ChoiceRefs   []int32
	ChoicePoints []int64
	Extra        []domain.ProposalID
}

type ballotSnap struct {
	State   domain.BallotState
	Version int
}

type proposalSnap struct {
	State   domain.ProposalState
	Version int
	History []HistoryEntry
}

type idemSnap struct {
	Key, Hash string
	W         ledger.Written
}

// snapshot copies the model into a checkpoint of the current format.
func (m *Model) snapshot() checkpoint {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cp := checkpoint{Format: checkpointFormat, Position: m.pos, LastID: m.lastID, At: m.at, Late: m.late, Unknown: m.unknown}
	for _, id := range m.cycleIDs {
		cv := m.cycles[id]
		cs := cycleSnap{State: cv.agg.State(), Version: cv.version, VotingOver: cv.votingOver, AllocatedAt: maps.Clone(cv.allocatedAt)}
		for _, d := range cs.State.Districts {
			dv := cv.districts[d.ID]
			ds := districtSnap{ID: d.ID, Proposals: slices.Clone(dv.proposals), Version: dv.version, Votes: maps.Clone(dv.votes)}
			if dv.dropped {
				ds.Dropped, ds.Counted = true, dv.counted
			} else {
				ds.snapshotBallots(dv)
			}
			cs.Districts = append(cs.Districts, ds)
		}
		cp.Cycles = append(cp.Cycles, cs)
		for _, ds := range cs.Districts {
			for _, pid := range ds.Proposals {
				pv := m.proposals[pid]
				cp.Proposals = append(cp.Proposals, proposalSnap{State: pv.agg.State(), Version: pv.version, History: slices.Clone(pv.history)})
			}
		}
	}
	m.idemMu.Lock()
	for k, rec := range m.idem {
		cp.Idem = append(cp.Idem, idemSnap{Key: k, Hash: rec.hash, W: rec.w})
	}
	m.idemMu.Unlock()
	return cp
}

// snapshotBallots fills the ballot columns from the district's view.
func (ds *districtSnap) snapshotBallots(dv *districtView) {
	n := len(dv.voters)
	if n == 0 {
		return
	}
	ref := make(map[domain.ProposalID]int32, len(ds.Proposals))
	for i, p := range ds.Proposals {
		if _, dup := ref[p]; !dup {
			ref[p] = int32(i)
		}
	}
	var keys strings.Builder
	ds.VoterLens, ds.Versions, ds.ChoiceCounts = make([]int32, 0, n), make([]int, 0, n), make([]int32, 0, n)
	var points bool
	for _, v := range dv.voters {
		bv := dv.ballots[v]
		st := bv.agg.State()
		keys.WriteString(string(v))
		ds.VoterLens = append(ds.VoterLens, int32(len(v)))
		ds.Versions = append(ds.Versions, bv.version)
		if st.Replacements != 0 && ds.Replacements == nil {
			ds.Replacements = make([]int, len(ds.Versions)-1, n)
		}
		if ds.Replacements != nil {
			ds.Replacements = append(ds.Replacements, st.Replacements)
		}
		ds.ChoiceCounts = append(ds.ChoiceCounts, int32(len(st.Choices)))
		for _, ch := range st.Choices {
			i, ok := ref[ch.ProposalID]
			if !ok {
				i = int32(len(ds.Proposals) + len(ds.Extra))
				ref[ch.ProposalID] = i
				ds.Extra = append(ds.Extra, ch.ProposalID)
			}
			ds.ChoiceRefs = append(ds.ChoiceRefs, i)
			ds.ChoicePoints = append(ds.ChoicePoints, ch.Points)
			points = points || ch.Points != 0
		}
	}
	ds.VoterKeys = keys.String()
	if !points {
		ds.ChoicePoints = nil
	}
}

// restorer builds a model's contents from a checkpoint, value by value; nothing of the model changes until
// install.
type restorer struct {
	format    int
	proposals map[domain.ProposalID]*proposalView
	cycles    map[domain.CycleID]*cycleView
	ids       []domain.CycleID
	idem      []idemSnap
}

func newRestorer(format int) *restorer {
	return &restorer{format: format, proposals: map[domain.ProposalID]*proposalView{}, cycles: map[domain.CycleID]*cycleView{}}
}

func (rs *restorer) addProposals(ps []proposalSnap) error {
	for _, ps := range ps {
		p, err := domain.RestoreProposal(ps.State, ps.Version)
		if err != nil {
			return err
		}
		rs.proposals[ps.State.ID] = &proposalView{agg: p, version: ps.Version, history: ps.History}
	}
	return nil
}

func (rs *restorer) addCycle(cs cycleSnap) error {
	c, err := domain.RestoreCycle(cs.State, cs.Version)
	if err != nil {
		return err
	}
	if rs.cycles[cs.State.ID] != nil {
		return fmt.Errorf("projections: checkpoint lists cycle %q twice", cs.State.ID)
	}
	cv := &cycleView{agg: c, version: cs.Version, votingOver: cs.VotingOver, allocatedAt: cs.AllocatedAt,
		districts: map[domain.DistrictID]*districtView{}}
	if cv.allocatedAt == nil {
		cv.allocatedAt = map[domain.DistrictID]eventstore.Position{}
	}
	for _, ds := range cs.Districts {
		dv := &districtView{proposals: ds.Proposals, version: ds.Version, votes: map[domain.ProposalID]int64{}}
		if rs.format == legacyCheckpointFormat {
			dv.ballots = map[domain.VoterKey]*ballotView{}
			for _, bs := range ds.Ballots {
				b, err := domain.RestoreBallot(bs.State, bs.Version)
				if err != nil {
					return err
				}
				dv.ballots[bs.State.Voter] = &ballotView{agg: *b, version: bs.Version}
				dv.voters = append(dv.voters, bs.State.Voter)
				for _, ch := range bs.State.Choices {
					dv.votes[ch.ProposalID]++
				}
			}
		} else {
			if err := ds.restoreBallots(cs.State.ID, dv); err != nil {
				return err
			}
			if ds.Votes != nil {
				dv.votes = ds.Votes
			}
		}
		if ds.Dropped {
			dv.dropped, dv.counted, dv.ballots, dv.voters = true, ds.Counted, nil, nil
			if ds.Votes != nil {
				dv.votes = ds.Votes
			}
		}
		for _, pid := range ds.Proposals {
			if rs.proposals[pid] == nil {
				return fmt.Errorf("projections: checkpoint lists proposal %q without its state", pid)
			}
		}
		cv.districts[ds.ID] = dv
	}
	rs.cycles[cs.State.ID] = cv
	rs.ids = append(rs.ids, cs.State.ID)
	return nil
}

// restoreBallots rebuilds the district's ballots from the format 3 columns. The district's ballot views are
// one array, their voter keys one string and their choices one array: a few allocations per district, not
// several per ballot.
func (ds *districtSnap) restoreBallots(cycle domain.CycleID, dv *districtView) error {
	n := len(ds.VoterLens)
	bad := func(what string) error {
		return fmt.Errorf("projections: checkpoint: district %q of cycle %q: %s", ds.ID, cycle, what)
	}
	if len(ds.Versions) != n || len(ds.ChoiceCounts) != n || ds.Replacements != nil && len(ds.Replacements) != n {
		return bad("ballot columns of different lengths")
	}
	if ds.ChoicePoints != nil && len(ds.ChoicePoints) != len(ds.ChoiceRefs) {
		return bad("choice columns of different lengths")
	}
	dv.ballots = make(map[domain.VoterKey]*ballotView, n)
	if n == 0 {
		return nil
	}
	names := append(slices.Clip(ds.Proposals), ds.Extra...)
	choices := make([]domain.BallotChoice, len(ds.ChoiceRefs))
	for i, r := range ds.ChoiceRefs {
		if r < 0 || int(r) >= len(names) {
			return bad("a choice names no proposal")
		}
		choices[i].ProposalID = names[r]
		if ds.ChoicePoints != nil {
			choices[i].Points = ds.ChoicePoints[i]
		}
	}
	views := make([]ballotView, n)
	dv.voters = make([]domain.VoterKey, 0, n)
	key, next := 0, 0
	for i := range n {
		l, c := int(ds.VoterLens[i]), int(ds.ChoiceCounts[i])
		if l < 0 || key+l > len(ds.VoterKeys) || c < 0 || next+c > len(choices) {
			return bad("ballot columns shorter than their counts")
		}
		voter := domain.VoterKey(ds.VoterKeys[key : key+l])
		key += l
		st := domain.BallotState{CycleID: cycle, DistrictID: ds.ID, Voter: voter, Choices: choices[next : next+c : next+c]}
		next += c
		if ds.Replacements != nil {
			st.Replacements = ds.Replacements[i]
		}
		bv := &views[i]
		bv.version = ds.Versions[i]
		if st.Replacements == 0 && bv.version == 1 && voter != "" {
			// The common case, without a copy of the choices: a ballot cast once.
			if err := bv.agg.LoadBallot(domain.BallotCast{CycleID: st.CycleID, DistrictID: st.DistrictID, Voter: voter, Choices: st.Choices}, false); err != nil {
				return err
			}
		} else {
			b, err := domain.RestoreBallot(st, bv.version)
			if err != nil {
				return err
			}
			bv.agg = *b
		}
		if dv.ballots[voter] != nil {
			return bad(fmt.Sprintf("voter %q twice", voter))
		}
		dv.ballots[voter] = bv
		dv.voters = append(dv.voters, voter)
	}
	if key != len(ds.VoterKeys) || next != len(choices) {
		return bad("ballot columns longer than their counts")
	}
	return nil
}

// install replaces the (empty) model's contents with what rs built.
func (m *Model) install(rs *restorer, cp checkpoint) error {
	err := func() error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.pos != 0 {
			return errors.New("projections: restore into a model that is not empty")
		}
		m.cycles, m.cycleIDs, m.proposals = rs.cycles, rs.ids, rs.proposals
		m.lastCycleID, m.lastDistrictID, m.lastCycle, m.lastDistrict = "", "", nil, nil
		m.pos, m.lastID, m.at, m.late, m.unknown = cp.Position, cp.LastID, cp.At, cp.Late, cp.Unknown
		m.idemMu.Lock()
		for _, is := range rs.idem {
			m.idem[is.Key] = &idemRecord{hash: is.Hash, w: is.W}
		}
		m.idemMu.Unlock()
		return nil
	}()
	if err != nil {
		return err
	}
	m.notify()
	return nil
}

// WriteCheckpoint writes the model and its position to CheckpointPath, atomically: a crash leaves the old
// checkpoint or the new one, never a torn one.
func (r *Runner) WriteCheckpoint() error {
	return WriteCheckpoint(r.Model, r.CheckpointPath)
}

// WriteCheckpoint writes m to path atomically.
func WriteCheckpoint(m *Model, path string) error {
	cp := m.snapshot()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("projections: checkpoint: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("projections: checkpoint: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = encodeCheckpoint(w, cp)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("projections: checkpoint %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// encodeCheckpoint writes cp as a format 3 stream.
func encodeCheckpoint(w io.Writer, cp checkpoint) error {
	enc := gob.NewEncoder(w)
	h := cp
	h.Format, h.Cycles, h.Proposals, h.Idem = checkpointFormat, nil, nil, nil
	h.ProposalChunks = chunks(len(cp.Proposals))
	h.CycleCount = len(cp.Cycles)
	h.IdemChunks = chunks(len(cp.Idem))
	if err := enc.Encode(h); err != nil {
		return err
	}
	for ps := range slices.Chunk(cp.Proposals, checkpointChunk) {
		if err := enc.Encode(ps); err != nil {
			return err
		}
	}
	for _, cs := range cp.Cycles {
		if err := enc.Encode(cs); err != nil {
			return err
		}
	}
	for is := range slices.Chunk(cp.Idem, checkpointChunk) {
		if err := enc.Encode(is); err != nil {
			return err
		}
	}
	return nil
}

func chunks(n int) int { return (n + checkpointChunk - 1) / checkpointChunk }

// loadCheckpoint restores the model from the checkpoint if there is a usable one. A checkpoint that does not
// match the log (another log, or a log restored from an older backup) or cannot be read is set aside and the
// model is rebuilt from the log.
func (r *Runner) loadCheckpoint(ctx context.Context, log *slog.Logger) error {
	began := time.Now()
	f, err := os.Open(r.CheckpointPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("projections: checkpoint: %w", err)
	}
	defer f.Close()
	dec := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	var cp checkpoint
	if err := dec.Decode(&cp); err != nil {
		log.Warn("projections: checkpoint unreadable; rebuilding from the log", "file", r.CheckpointPath, "err", err)
		return nil
	}
	if cp.Format != checkpointFormat && cp.Format != legacyCheckpointFormat {
		log.Warn("projections: checkpoint of another format; rebuilding from the log", "file", r.CheckpointPath, "format", cp.Format)
		return nil
	}
	if cp.Position > 0 {
		recs, err := r.Store.ReadAll(ctx, cp.Position, 1)
		if err != nil {
			return fmt.Errorf("projections: check checkpoint against the log: %w", err)
		}
		if len(recs) == 0 || recs[0].Position != cp.Position || recs[0].ID != cp.LastID {
			log.Warn("projections: checkpoint does not match the log; rebuilding from the log", "file", r.CheckpointPath, "position", cp.Position)
			return nil
		}
	}
	rs, err := readCheckpoint(dec, cp)
	if err == nil {
		err = r.Model.install(rs, cp)
	}
	if err != nil {
		// Nothing of the model changes unless the whole checkpoint was read, so it is still empty.
		log.Warn("projections: checkpoint unreadable or inconsistent; rebuilding from the log", "file", r.CheckpointPath, "err", err)
		return nil
	}
	log.Info("projections: checkpoint loaded", "position", cp.Position, "format", cp.Format, "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// readCheckpoint reads the rest of a checkpoint whose header (or, in format 2, whole) is cp.
func readCheckpoint(dec *gob.Decoder, cp checkpoint) (*restorer, error) {
	rs := newRestorer(cp.Format)
	if cp.Format == legacyCheckpointFormat {
		if err := rs.addProposals(cp.Proposals); err != nil {
			return nil, err
		}
		for _, cs := range cp.Cycles {
			if err := rs.addCycle(cs); err != nil {
				return nil, err
			}
		}
		rs.idem = cp.Idem
		return rs, nil
	}
	for range cp.ProposalChunks {
		var ps []proposalSnap
		if err := dec.Decode(&ps); err != nil {
			return nil, err
		}
		if err := rs.addProposals(ps); err != nil {
			return nil, err
		}
	}
	// The cycles hold nearly all of it: one goroutine decodes the next while this one restores the last.
	type decoded struct {
		cs  cycleSnap
		err error
	}
	cycles, stop := make(chan decoded, 4), make(chan struct{})
	defer close(stop)
	go func() {
		defer close(cycles)
		for range cp.CycleCount {
			var d decoded
			d.err = dec.Decode(&d.cs)
			select {
			case cycles <- d:
			case <-stop:
				return
			}
			if d.err != nil {
				return
			}
		}
	}()
	for range cp.CycleCount {
		d, ok := <-cycles
		if !ok {
			return nil, errors.New("projections: checkpoint: cycles missing")
		}
		if d.err != nil {
			return nil, d.err
		}
		if err := rs.addCycle(d.cs); err != nil {
			return nil, err
		}
	}
	<-cycles // closed: the decoding goroutine is done with dec
	for range cp.IdemChunks {
		var is []idemSnap
		if err := dec.Decode(&is); err != nil {
			return nil, err
		}
		rs.idem = append(rs.idem, is...)
	}
	return rs, nil
}
